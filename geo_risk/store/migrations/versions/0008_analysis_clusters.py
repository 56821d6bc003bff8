"""Joint-prevention clusters (issue 12): the analysis run, its clusters and links, map views.

- ``clusters_basis()``: what the analysis read besides the entity tables — the stored QRA runs (their
  3×10⁻⁶/a contours give the people) and the GB 18218 assessments (R, major hazards) — as one digest.
- ``cluster_runs``: one row per analysis (the latest replaces the previous one): the inputs version
  and the basis it was computed at, the rules used (JSON with their tags and the threshold table), notes.
- ``clusters``: one row per cluster (members, lead and why, combined R, people, worst colour), with
  its outline polygon.
- ``cluster_links``: one row per enterprise pair and kind (domino, fallback, policy) with the
  strongest evidence; ``value`` (a heat flux, an overpressure, a fireball radius) follows from the
  inventories and is restricted; ``reason`` carries it in a tiered span.
- ``clusters_map`` / ``cluster_links_map``: the public map layers, current results only (computed at
  the store's inputs version and on the same basis). The link view serves the public side
  of the reason and no value.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("cluster_runs", "clusters", "cluster_links")

_CURRENT = ("r.inputs_version = (SELECT inputs_version FROM data_version) AND r.basis = clusters_basis()")
BASIS_SQL = """
    SELECT md5(coalesce((SELECT string_agg(id::text || ':' || inputs_version::text || ':' || computed_at::text,
                                            ',' ORDER BY id) FROM risk_runs), '')
               || '|' || coalesce((SELECT count(*)::text || ':' || max(computed_at)::text || ':'
                                          || max(inputs_version)::text FROM hazard_assessments), ''))
"""
# The public side of every tiered span ⟦restricted⁞public⟧ (geo_risk.disclosure), for the map view.
_PUBLIC_TEXT = "regexp_replace(l.reason, '\u27e6[^\u27e6\u27e7]*?\u205e([^\u27e6\u27e7]*?)\u27e7', '\\1', 'g')"


def upgrade() -> None:
    op.execute(f"CREATE FUNCTION clusters_basis() RETURNS text LANGUAGE sql STABLE AS $${BASIS_SQL}$$")
    op.create_table(
        "cluster_runs",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("inputs_version", sa.BigInteger(), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),  # clusters_basis() when computed
        sa.Column("settings", postgresql.JSONB(), nullable=False),
        sa.Column("notes", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column("summary", sa.Text()),
        sa.Column("seconds", sa.Float()),
        sa.Column("computed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "clusters",
        sa.Column("id", sa.Text(), primary_key=True),  # CL-<smallest member id>
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("cluster_runs.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("members", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("member_names", sa.Text()),
        sa.Column("n_members", sa.Integer(), nullable=False),
        sa.Column("n_links", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.Text()),
        sa.Column("lead_enterprise_id", sa.Text()),
        sa.Column("lead_enterprise_name", sa.Text()),
        sa.Column("lead_reason", sa.Text()),
        sa.Column("combined_r", sa.Float()),
        sa.Column("people", sa.Float()),
        sa.Column("people_basis", sa.Text()),
        sa.Column("worst_colour", sa.Text()),
        sa.Column("colour_basis", sa.Text()),
        sa.Column("parks", sa.Text()),
        sa.Column("cross_park", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
    )
    op.execute("CREATE INDEX ix_clusters_geom ON clusters USING gist (geom)")
    op.execute("CREATE INDEX ix_clusters_members ON clusters USING gin (members)")
    op.create_table(
        "cluster_links",
        sa.Column("id", sa.Text(), primary_key=True),  # kind:enterprise_a:enterprise_b
        sa.Column("run_id", sa.BigInteger(), sa.ForeignKey("cluster_runs.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("cluster_id", sa.Text(), sa.ForeignKey("clusters.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("enterprise_a", sa.Text(), nullable=False),
        sa.Column("enterprise_b", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),  # domino / fallback / policy
        sa.Column("vector", sa.Text()),
        sa.Column("equipment_class", sa.Text()),
        sa.Column("value", sa.Float()),  # restricted: follows from the inventories
        sa.Column("value_unit", sa.Text()),
        sa.Column("threshold", sa.Float()),
        sa.Column("scenario", sa.Text()),
        sa.Column("primary_unit", sa.Text()),
        sa.Column("target_unit", sa.Text()),
        sa.Column("distance_m", sa.Float()),
        sa.Column("weight", sa.Float()),
        sa.Column("rule", sa.Text()),
        sa.Column("cross_park", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("evidence_count", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("reason", sa.Text()),  # tiered spans
        sa.Column("geom", Geometry("LINESTRING", srid=4326, spatial_index=False), nullable=False),
        sa.CheckConstraint("kind IN ('domino', 'fallback', 'policy')", name="kind_valid"),
    )
    op.execute("CREATE INDEX ix_cluster_links_geom ON cluster_links USING gist (geom)")
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_results_version()"
        )
    op.execute(
        f"""
        CREATE VIEW clusters_map AS
        SELECT c.id, c.n_members, array_to_string(c.members, ',') AS members, c.member_names, c.n_links, c.kinds,
               c.lead_enterprise_id, c.lead_enterprise_name, c.lead_reason, round(c.combined_r::numeric, 2)::float
               AS combined_r, c.people, c.worst_colour, c.parks, c.cross_park, r.computed_at, c.geom
          FROM clusters c JOIN cluster_runs r ON r.id = c.run_id
         WHERE {_CURRENT}
        """
    )
    op.execute(
        f"""
        CREATE VIEW cluster_links_map AS
        SELECT l.id, l.cluster_id, l.enterprise_a, ea.name AS enterprise_a_name, l.enterprise_b,
               eb.name AS enterprise_b_name, l.kind,
               CASE l.kind WHEN 'domino' THEN '多米诺（物理） Domino (physical)'
                           WHEN 'fallback' THEN '后备距离规则 Fallback distance rule'
                           ELSE '政策（相邻、相近、相似） Policy' END AS kind_label,
               l.vector, l.equipment_class, l.threshold, l.value_unit, l.scenario, l.distance_m, l.weight,
               l.cross_park, l.evidence_count, {_PUBLIC_TEXT} AS reason, r.computed_at, l.geom
          FROM cluster_links l
          JOIN cluster_runs r ON r.id = l.run_id
          LEFT JOIN enterprises ea ON ea.id = l.enterprise_a
          LEFT JOIN enterprises eb ON eb.id = l.enterprise_b
         WHERE {_CURRENT}
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS cluster_links_map")
    op.execute("DROP VIEW IF EXISTS clusters_map")
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.drop_table("cluster_links")
    op.execute("DROP INDEX IF EXISTS ix_clusters_members")
    op.execute("DROP INDEX IF EXISTS ix_clusters_geom")
    op.drop_table("clusters")
    op.drop_table("cluster_runs")
    op.execute("DROP FUNCTION IF EXISTS clusters_basis()")
