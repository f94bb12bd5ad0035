from odoo import fields, models, tools


class ReturnProductRateReport(models.Model):
    """Units delivered and returned per product and month, from the done stock moves."""

    _name = "return.product.rate.report"
    _description = "Return Rate by Product"
    _auto = False
    _order = "month desc, product_id"

    month = fields.Date(readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    qty_delivered = fields.Float(string="Delivered", readonly=True)
    qty_returned = fields.Float(string="Returned", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(f"""
            CREATE OR REPLACE VIEW {self._table} AS (
                SELECT row_number() OVER () AS id, flows.month, flows.product_id, pt.categ_id,
                       flows.company_id, SUM(flows.delivered) AS qty_delivered,
                       SUM(flows.returned) AS qty_returned
                  FROM (
                        SELECT date_trunc('month', m.date)::date AS month, m.product_id, m.company_id,
                               m.product_qty AS delivered, 0 AS returned
                          FROM stock_move m
                          JOIN stock_location dest ON dest.id = m.location_dest_id
                         WHERE m.state = 'done' AND dest.usage = 'customer'
                           AND m.origin_returned_move_id IS NULL
                        UNION ALL
                        SELECT date_trunc('month', m.date)::date, m.product_id, m.company_id,
                               0, m.product_qty
                          FROM stock_move m
                         WHERE m.state = 'done' AND m.return_line_id IS NOT NULL
                       ) flows
                  JOIN product_product pp ON pp.id = flows.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
              GROUP BY flows.month, flows.product_id, pt.categ_id, flows.company_id
            )
        """)
