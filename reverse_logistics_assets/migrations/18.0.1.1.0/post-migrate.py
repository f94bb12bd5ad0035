"""From balances rebuilt by product to counts frozen on the moves and a deposit ledger: count every done
asset move once, in date order, and enter the posted deposit lines in the ledger."""
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["returnable.asset.type"].with_context(active_test=False).search([])._count_past_moves()
    balances = env["returnable.asset.balance"].search([])
    balances._recompute(balances.partner_id)
