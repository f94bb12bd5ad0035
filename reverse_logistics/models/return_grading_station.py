import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import clean_context
from odoo.tools.sql import escape_psql

from ..tools import check_id, check_number

# Longer than any return number, lot or barcode: a scanner never sends more.
SCAN_MAX_LENGTH = 128
NOTE_MAX_LENGTH = 2000
# Returns the station lists before anything is scanned: a screenful, the oldest first.
QUEUE_LIMIT = 20


class ReturnGradingStation(models.AbstractModel):
    """Server side of the grading station: find the next unit to grade, record a grade, move on.

    Kept apart from the client action so that scanners, the station and tests share one API.
    """

    _name = "return.grading.station"
    _description = "Grading Station"

    @api.readonly
    @api.model
    def get_grades(self):
        return [self._prepare_grade_payload(g) for g in self.env["return.grade"].search([])]

    @api.model
    def _prepare_grade_payload(self, grade):
        """What the station shows of a grade. Hook: `own` (true) lets a grade take its key before a
        general grade of the same key, for the units it may grade."""
        return {"id": grade.id, "code": grade.code, "name": grade.name,
                "hotkey": (grade.hotkey or grade.code[:1]).lower()}

    @api.readonly
    @api.model
    def get_queue(self):
        """The station's first screen, before anything is scanned: the returns whose units wait to be
        graded, oldest arrival first, with their age and grading SLA, and what was graded today."""
        if not self.env.user.has_group("reverse_logistics.group_return_user"):
            raise AccessError(self.env._("The grading station is for Returns Users."))
        orders = self.env["return.order"]
        domain = self._get_queue_domain()
        now = fields.Datetime.now()
        return {
            "waiting": orders.search_count(domain),
            "returns": [self._get_queue_row(order, now) for order in orders.search(
                domain, order="date_first_receipt, id", limit=QUEUE_LIMIT)],
            **self._get_graded_today(now),
        }

    @api.model
    def _get_queue_domain(self):
        """Returns with units to grade (the grading SLA's own criterion), as the user may read them."""
        return [("disposition_status", "=", "to_grade")]

    @api.model
    def _get_queue_row(self, order, now):
        lines = order.line_ids.filtered(lambda line: line.qty_to_grade > 0)
        since = order.date_first_receipt
        age_hours = (now - since).total_seconds() / 3600.0 if since else 0.0
        sla_hours = order.policy_id.grading_sla_hours
        return {
            "order_id": order.id,
            "order": order.name,
            "partner": order.partner_id.display_name,
            "products": ", ".join(lines.product_id.mapped("display_name")),
            "qty_to_grade": sum(lines.mapped("qty_to_grade")),
            "received": fields.Datetime.to_string(since) if since else False,
            "age_hours": round(age_hours, 1),
            "sla_hours": sla_hours,
            "overdue": bool(sla_hours and age_hours > sla_hours),
        }

    @api.model
    def _get_graded_today(self, now):
        """Gradings recorded since midnight in the user's time zone: by everyone the user sees, and by the
        user."""
        local_now = fields.Datetime.context_timestamp(self, now)
        # Localized again: midnight may have another UTC offset than now (daylight saving time).
        midnight = local_now.tzinfo.localize(local_now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None))
        domain = [("date_graded", ">=", midnight.astimezone(pytz.utc).replace(tzinfo=None))]
        gradings = self.env["return.grading"]
        return {
            "graded_today": gradings.search_count(domain),
            "graded_today_by_you": gradings.search_count(domain + [("create_uid", "=", self.env.uid)]),
        }

    @api.model
    def _get_scan_domains(self, code):
        """Ways a scanned code finds pending lines, most specific first."""
        # =ilike is a LIKE: wildcards and the escape character in a scan match themselves only.
        return [
            [("order_id.name", "=ilike", escape_psql(code))],
            [("move_ids.move_line_ids.lot_id.name", "=", code)],
            [("product_id.barcode", "=", code)],
            [("product_id.default_code", "=ilike", escape_psql(code))],
        ]

    @api.model
    def _find_pending_lines(self, code):
        lines = self.env["return.order.line"]
        code = code.strip() if isinstance(code, str) else ""
        if not code or len(code) > SCAN_MAX_LENGTH:
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
        if not self.env.user.has_group("reverse_logistics.group_return_user"):
            raise AccessError(self.env._("The grading station is for Returns Users."))
        lines = self._find_pending_lines(code)
        if not lines:
            shown = code[:SCAN_MAX_LENGTH] if isinstance(code, str) else ""
            return {"error": self.env._("Nothing left to grade for %(code)s.", code=shown)}
        return self._get_unit_payload(lines[0], code, remaining=len(lines))

    @api.model
    def _get_unit_payload(self, line, code, remaining=1):
        units = line._get_ungraded_units()
        # A scanned lot or product first; a kit line grades its components one product at a time.
        product, lot, qty = next(
            ((p, lot, qty) for p, lot, qty in units if code and code in (lot.name, p.barcode)),
            units[0] if units else (line.product_id, None, line.qty_to_grade))
        lot = lot or None
        checklist = self.env["return.grade.checklist"]._get_for_product(product, line)
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
            # The grades these units may get (a brand's own grades only for its goods).
            "grade_ids": self.env["return.grade"].search(self.env["return.grade"]._get_allowed_domain(line)).ids,
            "remaining_lines": remaining,
        }

    @api.model
    def _get_line_to_grade(self, line_id):
        """The return line a station grades: one the user may grade (create gradings, write the line),
        whose goods arrived."""
        line = self.env["return.order.line"].browse(check_id(self.env, line_id, self.env._("Return line"))).exists()
        if not line:
            return line
        # The grading is created as the system (its score is the station's): the user's rights first.
        self.env["return.grading"].check_access("create")
        line.check_access("write")
        if line.sudo().order_id.state not in ("receiving", "received", "done") or not line.sudo().qty_received:
            raise UserError(self.env._("%(order)s: nothing of %(product)s was received yet.",
                                       order=line.order_id.name, product=line.product_id.display_name))
        return line

    @api.model
    def _prepare_grading_vals(self, line, grade_id, quantity, lot_id, passed_question_ids, note, product_id):
        """Checked values of a grading from what the station (or any client) sent."""
        grade = self.env["return.grade"].search([("id", "=", check_id(self.env, grade_id, self.env._("Grade")))])
        if not grade:
            raise UserError(self.env._("Choose one of the grades."))
        check_number(self.env, quantity, self.env._("Quantity"))
        product = self.env["product.product"].browse(
            check_id(self.env, product_id, self.env._("Product"))) if product_id else line.product_id
        lot = self.env["stock.lot"].browse(check_id(self.env, lot_id, self.env._("Lot/Serial")) if lot_id else [])
        if lot and lot.sudo().product_id != product:
            raise UserError(self.env._("Lot %(lot)s is not a lot of %(product)s.", lot=lot.sudo().name,
                                       product=product.display_name))
        if not isinstance(passed_question_ids, (list, tuple)):
            raise UserError(self.env._("The checklist answers must be a list of questions."))
        passed = [check_id(self.env, question, self.env._("Checklist question")) for question in passed_question_ids]
        if note is not False and note is not None and not isinstance(note, str):
            raise UserError(self.env._("The note must be text."))
        return {
            "line_id": line.id,
            "product_id": product.id,
            "grade_id": grade.id,
            "quantity": quantity,
            "lot_id": lot.id,
            "note": (note or "")[:NOTE_MAX_LENGTH] or False,
            **self.env["return.grading"]._prepare_checklist_vals(product, passed, line),
        }

    @api.model
    def grade(self, line_id, grade_id, quantity, lot_id=False, code=False, passed_question_ids=(), note=False,
              product_id=False):
        """Record a grade for units of a line and return the next unit of the same scan. `product_id`:
        the unit's product when it is not the line's (a component of a returned kit)."""
        line = self._get_line_to_grade(line_id)
        if not line:
            return {"error": self.env._("This return line no longer exists.")}
        vals = self._prepare_grading_vals(line, grade_id, quantity, lot_id, passed_question_ids or [], note,
                                          product_id)
        # The checklist score and suggested grade are the station's, not values a user writes; the line's
        # quantity and product checks (the grading's constraints) hold for the system too.
        # Created as the system: no default of the caller's context (default_state, default_recovery_value).
        grading = self.env["return.grading"].sudo().with_context(clean_context(self.env.context)).create(vals)
        grading = grading.with_env(self.env)
        line.order_id._on_graded()
        result = {"graded": grading.name, "grading_id": grading.id}
        if code:
            following = self.scan(code)
            if "error" not in following:
                result["next"] = following
        return result
