from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    """Shoppers announced before 18.0.1.5.0 were contacts of their brand (a contact's commercial partner is
    the brand: given portal access, he read the brand's returns as the brand). Each becomes a partner of
    his own, marked as the brand's shopper; the returns' stored commercial partner follows. The portal users
    of the brands' own contacts get the group Brand Portal User the brand's portal now asks for."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(SQL("""
        SELECT DISTINCT p.id, p.parent_id
          FROM res_partner p
          JOIN return_order r ON r.partner_id = p.id AND r.client_id = p.parent_id
         WHERE p.type = 'other'
    """))
    for partner_id, client_id in cr.fetchall():
        env["res.partner"].browse(partner_id).write({"parent_id": False, "shopper_of_client_id": client_id})
    # The brand's portal is now the group Brand Portal User: the portal users of the brands' own contacts
    # (the shoppers are no contacts any more: their commercial partner is written first) keep what they had.
    env.flush_all()
    cr.execute(SQL("""
        SELECT u.id
          FROM res_users u
          JOIN res_partner p ON p.id = u.partner_id
         WHERE u.share AND u.active AND p.shopper_of_client_id IS NULL AND p.commercial_partner_id IN (
               SELECT client_id FROM return_order WHERE client_id IS NOT NULL
               UNION SELECT client_id FROM return_policy WHERE client_id IS NOT NULL
               UNION SELECT client_id FROM return_client_fee WHERE client_id IS NOT NULL)
    """))
    users = env["res.users"].browse([row[0] for row in cr.fetchall()])
    portal = env.ref("base.group_portal")
    users.filtered(lambda u: portal in u.groups_id).write(
        {"groups_id": [(4, env.ref("reverse_logistics_3pl.group_brand_portal").id)]})
