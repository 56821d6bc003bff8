# The geo_risk API image (used by docker-compose.yml). Leaflet comes from the npm registry at build
# time; at run time nothing is fetched from the Internet.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY geo_risk geo_risk
COPY api api
COPY layers layers
COPY sample_geo sample_geo
RUN pip install --no-cache-dir -e . && bash layers/web/build.sh && rm -rf layers/web/node_modules
EXPOSE 8000
CMD ["geo-risk", "serve"]
