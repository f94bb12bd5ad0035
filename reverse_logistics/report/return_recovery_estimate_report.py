from odoo import fields, models, tools
from odoo.tools import SQL


class ReturnRecoveryEstimateReport(models.Model):
    """Expected against realised recovery per return line and disposition, in company currency.

    Expected: the estimate frozen when the return was submitted (return.recovery.estimate), per the
    disposition the rules chose for each grade. Realised: the net recovery (recovery value less processing
    cost) of the line's first gradings, per the disposition they went to, as the line's recovery ledger
    counts it. Only lines that were estimated from a history and whose graded units are all processed
    are compared: a line still in process has not realised its recovery yet.
    """

    _name = "return.recovery.estimate.report"
    _description = "Expected vs Realised Recovery"
    _auto = False
    _order = "date_submitted desc, id desc"

    order_id = fields.Many2one("return.order", string="Return Order", readonly=True)
    line_id = fields.Many2one("return.order.line", string="Return Line", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True)
    reason_id = fields.Many2one("return.reason", readonly=True)
    disposition_id = fields.Many2one("return.disposition", readonly=True)
    date_submitted = fields.Datetime(string="Submitted On", readonly=True)
    expected_amount = fields.Monetary(string="Expected Recovery", readonly=True)
    realised_amount = fields.Monetary(string="Realised Recovery", readonly=True)
    difference_amount = fields.Monetary(
        string="Difference", readonly=True, help="Realised less expected: negative when the estimate was too high.")

    def _get_settled_lines(self):
        """Lines estimated from a history whose graded units were all processed."""
        return SQL("""
            SELECT l.id FROM return_order_line l
             WHERE l.expected_recovery_basis IS NOT NULL AND l.expected_recovery_basis != 'none'
               AND EXISTS (SELECT 1 FROM return_grading g WHERE g.line_id = l.id)
               AND NOT EXISTS (SELECT 1 FROM return_grading g WHERE g.line_id = l.id AND g.state != 'done')
        """)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("""
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT row_number() OVER (ORDER BY figures.line_id, figures.disposition_id) AS id,
                       l.order_id, figures.line_id, l.company_id, c.currency_id, l.product_id, pt.categ_id,
                       l.reason_id, figures.disposition_id, o.date_submitted,
                       SUM(figures.expected) AS expected_amount, SUM(figures.realised) AS realised_amount,
                       SUM(figures.realised) - SUM(figures.expected) AS difference_amount
                  FROM (
                        SELECT e.line_id, e.disposition_id, e.expected_amount AS expected, 0 AS realised
                          FROM return_recovery_estimate e
                         WHERE e.line_id IN (%(settled)s)
                        UNION ALL
                        SELECT g.line_id, g.disposition_id, 0,
                               COALESCE(g.recovery_value, 0) - COALESCE(g.processing_cost, 0)
                          FROM return_grading g
                         WHERE g.previous_grading_id IS NULL AND g.line_id IN (%(settled)s)
                       ) figures
                  JOIN return_order_line l ON l.id = figures.line_id
                  JOIN return_order o ON o.id = l.order_id
                  JOIN res_company c ON c.id = l.company_id
                  JOIN product_product pp ON pp.id = l.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
              GROUP BY l.order_id, figures.line_id, l.company_id, c.currency_id, l.product_id, pt.categ_id,
                       l.reason_id, figures.disposition_id, o.date_submitted
            )
        """, table=SQL.identifier(self._table), settled=self._get_settled_lines()))
