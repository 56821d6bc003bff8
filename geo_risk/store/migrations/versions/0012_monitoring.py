"""Live monitoring (issue 15): the sensor registry and the readings store.

- ``sensors``: an interchange entity layer (监测点: unit, quantity, unit of measure, range, the four alarm
  limits LL/L/H/HH, deadband, on/off delays, rate limit, silence), written by loads like every entity
  table. Its writes bump only ``data_version.version`` (caches), not ``inputs_version``: no GB 18218,
  risk or zoning result is computed from sensors, so loading sensors leaves them current.
- ``readings``: one value of one sensor at one instant, range-partitioned by ``ts`` into daily
  partitions ``readings_pYYYYMMDD`` (created ahead and on demand by ``geo_risk.store.readings``, dropped
  whole past the retention). ``UNIQUE (sensor_id, ts)`` makes a duplicate delivery a no-op
  (``INSERT … ON CONFLICT DO NOTHING``); a BRIN index on ``ts`` serves time ranges at a tiny size.
  No foreign key to ``sensors``: the ingest checks sensors itself, and a key would cost every insert.
- ``reading_rejects``: every refused reading or payload with its reason (unknown sensor, unit
  mismatch, from the future, malformed, not finite, out of retention), the channel and an excerpt.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

QUANTITIES = "('level', 'temperature', 'pressure', 'flammable_gas', 'toxic_gas')"
REASONS = ("('unknown_sensor', 'unit_mismatch', 'future', 'malformed', 'not_finite', 'too_old')")


def upgrade() -> None:
    op.create_table(
        "sensors",
        sa.Column("unit_id", sa.Text(), sa.ForeignKey("hazard_units.id", ondelete="CASCADE", deferrable=True,
                                                       initially="DEFERRED"), nullable=False),
        sa.Column("quantity", sa.Text(), nullable=False),
        sa.Column("uom", sa.Text(), nullable=False),
        sa.Column("range_lo", sa.Float(), nullable=False),
        sa.Column("range_hi", sa.Float(), nullable=False),
        sa.Column("ll", sa.Float()),
        sa.Column("l", sa.Float()),
        sa.Column("h", sa.Float()),
        sa.Column("hh", sa.Float()),
        sa.Column("deadband", sa.Float()),
        sa.Column("on_delay_s", sa.Float()),
        sa.Column("off_delay_s", sa.Float()),
        sa.Column("rate_limit", sa.Float()),
        sa.Column("silent_after_s", sa.Float()),
        sa.Column("area", sa.Text()),
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("extra", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(f"quantity IS NULL OR quantity IN {QUANTITIES}", name="quantity_valid"),
        sa.CheckConstraint("range_lo < range_hi", name="range_ordered"),
    )
    op.create_index("ix_sensors_unit_id", "sensors", ["unit_id"])
    op.execute("""
        CREATE FUNCTION bump_output_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE data_version SET version = version + 1, changed_at = now();
            RETURN NULL;
        END $$
    """)
    op.execute("CREATE TRIGGER sensors_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
               "ON sensors FOR EACH STATEMENT EXECUTE FUNCTION bump_output_version()")

    op.execute("""
        CREATE TABLE readings (
            sensor_id text NOT NULL,
            ts timestamptz NOT NULL,
            value double precision NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT readings_sensor_ts UNIQUE (sensor_id, ts)
        ) PARTITION BY RANGE (ts)
    """)
    op.execute("CREATE INDEX ix_readings_ts_brin ON readings USING brin (ts)")
    op.create_table(
        "reading_rejects",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),  # mqtt, http
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("sensor_id", sa.Text()),
        sa.Column("ts", sa.DateTime(timezone=True)),
        sa.Column("excerpt", sa.Text()),  # the first 200 characters of what was refused
        sa.CheckConstraint(f"reason IN {REASONS}", name="reason_valid"),
    )
    op.create_index("ix_reading_rejects_at", "reading_rejects", ["at"])


def downgrade() -> None:
    op.drop_table("reading_rejects")
    op.execute("DROP TABLE IF EXISTS readings CASCADE")  # its partitions with it
    op.execute("DROP TRIGGER IF EXISTS sensors_data_version ON sensors")
    op.drop_table("sensors")
    op.execute("DROP FUNCTION IF EXISTS bump_output_version()")
