"""Hidden-danger register (隐患排查治理, issue 15; docs/standards/hidden-dangers.md).

- ``hidden_dangers``: one accident hidden danger (事故隐患) of an enterprise (optionally of one hazard
  unit): description, level (general 一般 / major 重大), the 安监总管三〔2017〕121号 situation that made it
  major, found and deadline days, who is responsible, the workflow status (reported → assigned →
  rectifying → reviewed → closed 销号), 挂牌督办 (supervised, by whom) and the public listing of majors.
- ``hidden_danger_history``: every status change (who, when, from, to, note); the audit log holds
  them too.
- Views for the map: ``hidden_dangers_map`` (analysts: enterprises with open items, counts and the
  worst colour) and ``hidden_dangers_public_map`` (the public tier: publicly listed open major items
  only, without description, unit or person). "Today" is the server's date, or the session setting
  ``geo_risk.today`` (tests fix it).

Writes bump ``data_version.version`` (tile caches refresh), not ``inputs_version``: no grade, risk or
zoning result is computed from hidden dangers.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TABLES = ("hidden_dangers", "hidden_danger_history")
STATUSES = "('reported', 'assigned', 'rectifying', 'reviewed', 'closed')"
TODAY = "COALESCE(NULLIF(current_setting('geo_risk.today', true), '')::date, current_date)"


def upgrade() -> None:
    op.execute("CREATE SEQUENCE hidden_danger_seq")
    op.create_table(
        "hidden_dangers",
        sa.Column("id", sa.Text(), primary_key=True,
                  server_default=sa.text("'HD-' || lpad(nextval('hidden_danger_seq')::text, 6, '0')")),
        sa.Column("enterprise_id", sa.Text(), sa.ForeignKey("enterprises.id", ondelete="CASCADE", deferrable=True,
                                                             initially="DEFERRED"), nullable=False),
        sa.Column("unit_id", sa.Text(), sa.ForeignKey("hazard_units.id", ondelete="SET NULL", deferrable=True,
                                                       initially="DEFERRED")),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("criterion", sa.Text()),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("responsible", sa.Text()),
        sa.Column("responsible_dept", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False, server_default="reported"),
        sa.Column("supervised", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("supervised_by", sa.Text()),
        sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("source", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("level IN ('general', 'major')", name="level_valid"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status_valid"),
        sa.CheckConstraint("deadline >= found_on", name="deadline_after_found"),
        sa.CheckConstraint("criterion IS NULL OR (level = 'major' AND criterion ~ '^121-(0[1-9]|1[0-9]|20)$')",
                           name="criterion_major"),
        sa.CheckConstraint("NOT public OR level = 'major'", name="public_major_only"),
        sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at_when_closed"),
    )
    op.create_index("ix_hidden_dangers_enterprise_id", "hidden_dangers", ["enterprise_id"])
    op.create_index("ix_hidden_dangers_open_deadline", "hidden_dangers", ["deadline"],
                    postgresql_where=sa.text("status <> 'closed'"))
    op.create_table(
        "hidden_danger_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("hidden_danger_id", sa.Text(), sa.ForeignKey("hidden_dangers.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("role", sa.Text()),
        sa.Column("channel", sa.Text(), nullable=False),  # api, cli
        sa.Column("from_status", sa.Text()),  # NULL: created
        sa.Column("to_status", sa.Text(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.CheckConstraint(f"to_status IN {STATUSES}", name="to_status_valid"),
    )
    op.create_index("ix_hidden_danger_history_item", "hidden_danger_history", ["hidden_danger_id", "id"])
    for table in TABLES:  # tile caches refresh; the inputs version stays
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_results_version()")
    colour = ("CASE WHEN bool_or(d.level = 'major' AND d.deadline < t.day) THEN 'red' "
              "WHEN bool_or(d.level = 'major') THEN 'orange' "
              "WHEN bool_or(d.deadline < t.day) THEN 'yellow' ELSE 'blue' END")
    label = ("CASE {c} WHEN 'red' THEN '重大隐患超期未整改 Major hidden danger overdue' "
             "WHEN 'orange' THEN '重大隐患整改中 Open major hidden danger' "
             "WHEN 'yellow' THEN '一般隐患超期 General hidden danger overdue' "
             "ELSE '一般隐患整改中 Open general hidden dangers' END")
    op.execute(f"""
        CREATE VIEW hidden_dangers_map AS
        SELECT e.id, e.name, count(*)::int AS n_open, count(*) FILTER (WHERE d.deadline < t.day)::int AS n_overdue,
               count(*) FILTER (WHERE d.level = 'major')::int AS n_major,
               count(*) FILTER (WHERE d.level = 'major' AND d.deadline < t.day)::int AS n_major_overdue,
               count(*) FILTER (WHERE d.supervised)::int AS n_supervised,
               CASE WHEN bool_or(d.level = 'major') THEN 'major' ELSE 'general' END AS worst_level,
               {colour} AS colour, {label.format(c=colour)} AS colour_label,
               min(d.deadline) AS next_deadline, max(d.updated_at) AS updated_at, e.geom
          FROM hidden_dangers d JOIN enterprises e ON e.id = d.enterprise_id
               CROSS JOIN (SELECT {TODAY} AS day) t
         WHERE d.status <> 'closed'
         GROUP BY e.id, e.name, e.geom
    """)
    pub = ("CASE WHEN bool_or(d.deadline < t.day) THEN 'red' ELSE 'orange' END")
    op.execute(f"""
        CREATE VIEW hidden_dangers_public_map AS
        SELECT e.id, e.name, count(*)::int AS n_open, count(*) FILTER (WHERE d.deadline < t.day)::int AS n_overdue,
               count(*) FILTER (WHERE d.supervised)::int AS n_supervised, 'major'::text AS worst_level,
               {pub} AS colour, {label.format(c=pub)} AS colour_label,
               min(d.deadline) AS next_deadline, max(d.updated_at) AS updated_at, e.geom
          FROM hidden_dangers d JOIN enterprises e ON e.id = d.enterprise_id
               CROSS JOIN (SELECT {TODAY} AS day) t
         WHERE d.status <> 'closed' AND d.public AND d.level = 'major'
         GROUP BY e.id, e.name, e.geom
    """)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS hidden_dangers_public_map")
    op.execute("DROP VIEW IF EXISTS hidden_dangers_map")
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}")
    op.drop_table("hidden_danger_history")
    op.drop_table("hidden_dangers")
    op.execute("DROP SEQUENCE IF EXISTS hidden_danger_seq")
