"""Map layers: risk contours of current runs only (history in its own view); hazard sources say what
``register`` means.

- ``risk_contours_map`` (the ``risk_contours`` layer: items, tiles, exports) holds only contours of
  runs computed from the store's current inputs. A run whose inputs changed since (``current``
  false) was served and exported beside the current ones; it now lives only in
  ``risk_contours_history`` (every stored contour with its ``current`` flag), which the layer reads
  when a caller asks for history (``include_history``).
- ``hazard_sources_map`` gains ``register_label``: 在册 (in the register: operating or suspended
  enterprises) or 拟建 (planned: listed apart), beside the machine value ``register``. The labels
  are :data:`geo_risk.analysis.hazard_sources.REGISTER_LABELS` (a test checks they agree).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CONTOURS = """
        SELECT c.id::text AS id, r.scope, r.scope_id, e.name AS enterprise_name, c.level_per_year, c.level_label,
               c.target_classes, c.criteria, r.model_version, r.computed_at,
               r.inputs_version = (SELECT inputs_version FROM data_version) AS current, c.geom
          FROM risk_contours c
          JOIN risk_runs r ON r.id = c.run_id
          LEFT JOIN enterprises e ON r.scope = 'enterprise' AND e.id = r.scope_id
"""

_HAZARD_SOURCES = """
        SELECT u.id, u.name, u.unit_type, u.enterprise_id, e.name AS enterprise_name, a.register,
               a.grade, round(a.r::numeric, 2)::float AS r, a.main_substances,
               u.safety_distance_m, a.approximate, u.geom, a.computed_at
"""


def upgrade() -> None:
    op.execute(f"CREATE VIEW risk_contours_history AS {_CONTOURS}")
    op.execute(
        f"CREATE OR REPLACE VIEW risk_contours_map AS {_CONTOURS}"
        " WHERE r.inputs_version = (SELECT inputs_version FROM data_version)"
    )
    op.execute(
        f"""
        CREATE OR REPLACE VIEW hazard_sources_map AS {_HAZARD_SOURCES},
               CASE a.register WHEN 'register' THEN '在册 In the register'
                               WHEN 'planned' THEN '拟建 Planned' END AS register_label
          FROM hazard_assessments a
          JOIN hazard_units u ON u.id = a.unit_id
          JOIN enterprises e ON e.id = a.enterprise_id
         WHERE a.is_major_hazard
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS hazard_sources_map")
    op.execute(
        f"""
        CREATE VIEW hazard_sources_map AS {_HAZARD_SOURCES}
          FROM hazard_assessments a
          JOIN hazard_units u ON u.id = a.unit_id
          JOIN enterprises e ON e.id = a.enterprise_id
         WHERE a.is_major_hazard
        """
    )
    op.execute(f"CREATE OR REPLACE VIEW risk_contours_map AS {_CONTOURS}")
    op.execute("DROP VIEW IF EXISTS risk_contours_history")
