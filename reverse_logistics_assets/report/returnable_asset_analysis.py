from odoo import fields, models, tools
from odoo.tools import SQL


class ReturnableAssetAnalysis(models.Model):
    """One row per partner and asset type: units out, back, lost, the aging bucket and the money at stake."""

    _name = "returnable.asset.analysis"
    _description = "Returnable Asset Analysis"
    _auto = False
    _order = "days_out desc, id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    asset_type_id = fields.Many2one("returnable.asset.type", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    aging = fields.Selection(
        lambda self: self.env["returnable.asset.balance"]._fields["aging"].selection, readonly=True,
        help="How late the oldest unit still at the customer is, beyond the type's grace days.")
    balance = fields.Float(string="At Customer", readonly=True, help="Units out less units back and lost.")
    qty_out = fields.Float(string="Out", readonly=True, help="Units shipped to the customer.")
    qty_back = fields.Float(string="Back", readonly=True, help="Units the customer returned.")
    qty_lost = fields.Float(string="Lost", readonly=True, help="Units declared lost.")
    qty_damaged = fields.Float(string="Damaged", readonly=True,
                               help="Units that came back needing repair or scrapping.")
    days_out = fields.Integer(string="Days Out (oldest)", aggregator="max", readonly=True,
                              help="Days since the oldest unit still at the customer left.")
    deposit_held = fields.Monetary(readonly=True, help="Deposits invoiced and neither refunded nor kept.")
    value_at_risk = fields.Monetary(
        readonly=True, help="Units at the customer times the type's replacement price.")

    def _query(self):
        return SQL("""
            SELECT b.id, b.partner_id, b.asset_type_id, b.company_id, c.currency_id, b.aging, b.balance,
                   b.qty_out, b.qty_back, b.qty_lost, b.qty_damaged, b.days_out,
                   COALESCE(b.deposit_held, 0) AS deposit_held,
                   GREATEST(b.balance, 0) * COALESCE(t.replacement_price, 0) AS value_at_risk
              FROM returnable_asset_balance b
              JOIN returnable_asset_type t ON t.id = b.asset_type_id
              JOIN res_company c ON c.id = b.company_id
        """)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("CREATE OR REPLACE VIEW %s AS (%s)", SQL.identifier(self._table), self._query()))
