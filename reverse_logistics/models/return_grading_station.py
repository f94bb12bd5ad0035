from odoo import api, models


class ReturnGradingStation(models.AbstractModel):
    """Server side of the grading station: find the next unit to grade, record a grade, move on.

    Kept apart from the client action so that scanners, the station and tests share one API.
    """

    _name = "return.grading.station"
    _description = "Grading Station"

    @api.readonly
    @api.model
    def get_grades(self):
        return [
            {"id": g.id, "code": g.code, "name": g.name, "hotkey": (g.hotkey or g.code[:1]).lower()}
            for g in self.env["return.grade"].search([])
        ]

    @api.model
    def _get_scan_domains(self, code):
        """Ways a scanned code finds pending lines, most specific first."""
        return [
            [("order_id.name", "=ilike", code)],
            [("move_ids.move_line_ids.lot_id.name", "=", code)],
            [("product_id.barcode", "=", code)],
            [("product_id.default_code", "=ilike", code)],
        ]

    @api.model
    def _find_pending_lines(self, code):
        lines = self.env["return.order.line"]
        code = (code or "").strip()
        if not code:
            return lines
        for domain in self._get_scan_domains(code):
            found = lines.search([("qty_to_grade", ">", 0)] + domain, order="order_id, sequence, id")
            if found:
                return found
        return lines

    @api.readonly
    @api.model
    def scan(self, code):
        """The next unit to grade for a return number, lot/serial or product barcode."""
        lines = self._find_pending_lines(code)
        if not lines:
            return {"error": self.env._("Nothing left to grade for %(code)s.", code=code)}
        return self._get_unit_payload(lines[0], code, remaining=len(lines))

    @api.model
    def _get_unit_payload(self, line, code, remaining=1):
        units = line._get_ungraded_units()
        # A scanned lot or product first; a kit line grades its components one product at a time.
        product, lot, qty = next(
            ((p, lot, qty) for p, lot, qty in units if code and code in (lot.name, p.barcode)),
            units[0] if units else (line.product_id, None, line.qty_to_grade))
        lot = lot or None
        checklist = self.env["return.grade.checklist"]._get_for_product(product)
        last = line.grading_ids.filtered(lambda g: g.product_id == product)[:1] or self.env["return.grading"].search(
            [("product_id", "=", product.id)], limit=1)
        return {
            "line_id": line.id,
            "order": line.order_id.name,
            "partner": line.order_id.partner_id.display_name,
            "product_id": product.id,
            "product": product.display_name,
            "reason": line.reason_id.name or "",
            "lot_id": lot.id if lot else False,
            "lot": lot.name if lot else "",
            "tracking": product.tracking,
            "qty_pending": qty,
            "qty_default": 1.0 if product.tracking == "serial" else qty,
            "uom": product.uom_id.name,
            "suggested_grade_id": last.grade_id.id or False,
            "questions": [{"id": q.id, "name": q.name} for q in checklist.question_ids],
            "remaining_lines": remaining,
        }

    @api.model
    def grade(self, line_id, grade_id, quantity, lot_id=False, code=False, passed_question_ids=(), note=False,
              product_id=False):
        """Record a grade for units of a line and return the next unit of the same scan. `product_id`:
        the unit's product when it is not the line's (a component of a returned kit)."""
        line = self.env["return.order.line"].browse(line_id).exists()
        if not line:
            return {"error": self.env._("This return line no longer exists.")}
        product = self.env["product.product"].browse(product_id) if product_id else line.product_id
        vals = {
            "line_id": line.id,
            "product_id": product.id,
            "grade_id": grade_id,
            "quantity": quantity,
            "lot_id": lot_id,
            "note": note,
            **self.env["return.grading"]._prepare_checklist_vals(product, list(passed_question_ids or [])),
        }
        line.check_access("read")
        # The checklist score and suggested grade are the station's, not values a user writes.
        grading = self.env["return.grading"].sudo().create(vals).sudo(False)
        line.order_id._on_graded()
        result = {"graded": grading.name, "grading_id": grading.id}
        if code:
            following = self.scan(code)
            if "error" not in following:
                result["next"] = following
        return result
