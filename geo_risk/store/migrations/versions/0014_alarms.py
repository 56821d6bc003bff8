"""Alarms (issue 15): the alarm service's current state, audit trail and event log, and a map view.

- ``alarms``: one row per alarm key (``<sensor_id>:<kind>``, as :attr:`geo_risk.monitoring.alarms.
  AlarmEvent.key`): the ISA-18.2 lifecycle state (:data:`geo_risk.monitoring.lifecycle.STATES`), the
  process condition (``active``), the value and limit that raised it, the bilingual message (it may hold
  restricted spans: :mod:`geo_risk.disclosure`), shelving and acknowledgement. The table is the one
  truth of an alarm's state: every evaluator process and the API lock the row, apply the transition
  and write it back (:mod:`geo_risk.store.alarms`), so a restart or a second process keeps it.
- ``alarm_audit``: every transition (who, action, from, to, reason).
- ``alarm_events``: the engine's raise/clear log (``annunciated`` False for a raise while shelved,
  suppressed or out of service), the input of the EEMUA 191 figures.
- view ``alarms_active_by_enterprise``: per enterprise the alarms standing in alarm now (state
  unack_active or ack_active), the worst priority and whether a critical or high one is among them.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

STATES = "('normal', 'unack_active', 'ack_active', 'rtn_unack', 'shelved', 'suppressed', 'out_of_service')"
PRIORITIES = "('critical', 'high', 'medium', 'low')"


def upgrade() -> None:
    op.create_table(
        "alarms",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("sensor_id", sa.Text(), nullable=False),
        sa.Column("enterprise_id", sa.Text()),
        sa.Column("unit_id", sa.Text()),
        sa.Column("area", sa.Text()),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("limit_value", sa.Float()),
        sa.Column("message", sa.Text()),
        sa.Column("raised_at", sa.DateTime(timezone=True)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shelved_until", sa.DateTime(timezone=True)),
        sa.Column("shelved_by", sa.Text()),
        sa.Column("acknowledged_by", sa.Text()),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(f"state IN {STATES}", name="state_valid"),
        sa.CheckConstraint(f"priority IN {PRIORITIES}", name="priority_valid"),
    )
    op.create_index("ix_alarms_enterprise_id", "alarms", ["enterprise_id"])
    op.create_index("ix_alarms_changed_at", "alarms", ["changed_at"])
    op.create_table(
        "alarm_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("who", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("from_state", sa.Text(), nullable=False),
        sa.Column("to_state", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_alarm_audit_key_ts", "alarm_audit", ["key", "ts"])
    op.create_table(
        "alarm_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column("transition", sa.Text(), nullable=False),
        sa.Column("value", sa.Float()),
        sa.Column("annunciated", sa.Boolean(), nullable=False),
        sa.CheckConstraint("transition IN ('raise', 'clear')", name="transition_valid"),
    )
    op.create_index("ix_alarm_events_ts", "alarm_events", ["ts"])
    op.execute("""
        CREATE VIEW alarms_active_by_enterprise AS
        SELECT enterprise_id,
               count(*)::int AS n_active,
               (ARRAY['critical', 'high', 'medium', 'low'])[min(array_position(
                   ARRAY['critical', 'high', 'medium', 'low'], priority))] AS worst_priority,
               bool_or(priority IN ('critical', 'high')) AS high_priority_active
        FROM alarms
        WHERE state IN ('unack_active', 'ack_active') AND enterprise_id IS NOT NULL
        GROUP BY enterprise_id
    """)


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS alarms_active_by_enterprise")
    op.drop_table("alarm_events")
    op.drop_table("alarm_audit")
    op.drop_table("alarms")
