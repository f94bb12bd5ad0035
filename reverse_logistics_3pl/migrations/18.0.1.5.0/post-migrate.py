from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    """Shoppers announced before 18.0.1.4.0 were contacts of their brand (a contact's commercial partner is
    the brand: given portal access, he read the brand's returns as the brand). Each becomes a partner of
    his own, marked as the brand's shopper; the returns' stored commercial partner follows."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(SQL("""
        SELECT DISTINCT p.id, p.parent_id
          FROM res_partner p
          JOIN return_order r ON r.partner_id = p.id AND r.client_id = p.parent_id
         WHERE p.type = 'other'
    """))
    for partner_id, client_id in cr.fetchall():
        env["res.partner"].browse(partner_id).write({"parent_id": False, "shopper_of_client_id": client_id})
