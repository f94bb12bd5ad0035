"""recall.exposure lost its log columns and its stored copy of the campaign's company (each was a
foreign key checked on every row a trace writes): drop the columns the ORM no longer fills."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        ALTER TABLE recall_exposure
         DROP COLUMN IF EXISTS company_id, DROP COLUMN IF EXISTS create_uid, DROP COLUMN IF EXISTS write_uid,
         DROP COLUMN IF EXISTS create_date, DROP COLUMN IF EXISTS write_date
    """)
