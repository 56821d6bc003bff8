"""The hidden-danger register outlives a careless delete (issue 15 follow-up).

0013 made ``hidden_dangers.enterprise_id`` cascade: deleting an enterprise row wiped its register —
the regulator's record of what was found, assigned, rectified and closed (销号), with its history.
Now the reference is NO ACTION (checked at commit, as the other references of the load are
deferred): an enterprise that has hidden dangers cannot be deleted until its register is dealt with
on purpose. Loads never delete enterprises (they upsert); this guards hand-written SQL and future tools.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_FK = "hidden_dangers_enterprise_id_fkey"


def upgrade() -> None:
    op.execute(f"ALTER TABLE hidden_dangers DROP CONSTRAINT {_FK}")
    op.execute(f"ALTER TABLE hidden_dangers ADD CONSTRAINT {_FK} FOREIGN KEY (enterprise_id) "
               "REFERENCES enterprises(id) ON DELETE NO ACTION DEFERRABLE INITIALLY DEFERRED")


def downgrade() -> None:
    op.execute(f"ALTER TABLE hidden_dangers DROP CONSTRAINT {_FK}")
    op.execute(f"ALTER TABLE hidden_dangers ADD CONSTRAINT {_FK} FOREIGN KEY (enterprise_id) "
               "REFERENCES enterprises(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED")
