"""``/map``: the web map page (placeholder until the page lands)."""

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["map"])


@router.get("/map", response_class=HTMLResponse)
def web_map() -> str:
    return "<html><body>map</body></html>"
