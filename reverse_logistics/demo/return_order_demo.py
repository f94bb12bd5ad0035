from datetime import timedelta

from odoo import Command, api, fields, models


class ReturnOrder(models.Model):
    """Demo data made through the real flows; only demo/return_demo.xml calls it."""

    _inherit = "return.order"

    # ------------------------------------------------------------------
    # Demo
    # ------------------------------------------------------------------
    @api.model
    def _create_demo_returns(self):
        """Demo returns in every state, made through the real flows (sale, delivery, invoice, return).

        Called from demo/return_demo.xml only.
        """
        ref = self.env.ref
        company = ref("base.main_company")
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        if not warehouse.return_type_id:
            warehouse._ensure_return_setup()
        espresso, grinder, beans = (
            ref(f"reverse_logistics.product_demo_{name}") for name in ("espresso", "grinder", "beans")
        )
        quant = self.env["stock.quant"].with_context(inventory_mode=True)
        lot_model = self.env["stock.lot"]
        quant.create({"product_id": espresso.id, "location_id": warehouse.lot_stock_id.id, "inventory_quantity": 60})
        for lot_name, qty in (("BEANS-2611-A", 200), ("BEANS-2611-B", 200)):
            lot = lot_model.create({"name": lot_name, "product_id": beans.id, "company_id": company.id})
            quant.create({"product_id": beans.id, "location_id": warehouse.lot_stock_id.id,
                          "lot_id": lot.id, "inventory_quantity": qty})
        for i in range(1, 13):
            lot = lot_model.create({"name": f"GRD-{i:05d}", "product_id": grinder.id, "company_id": company.id})
            quant.create({"product_id": grinder.id, "location_id": warehouse.lot_stock_id.id,
                          "lot_id": lot.id, "inventory_quantity": 1})
        quant.search([("inventory_quantity_set", "=", True)]).action_apply_inventory()

        def sell(partner, lines):
            order = self.env["sale.order"].create({
                "partner_id": partner.id, "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": p.id, "product_uom_qty": q}) for p, q in lines],
            })
            order.action_confirm()
            order.picking_ids.action_assign()
            order.picking_ids.move_ids.picked = True
            order.picking_ids.with_context(skip_sms=True).button_validate()
            order._create_invoices().action_post()
            return order

        def new_return(order, qty_by_product, reason, **vals):
            ret = self.browse(self._create_from_moves(order.order_line.move_ids, order.partner_id, order)["res_id"])
            for line in ret.line_ids:
                if line.product_id in qty_by_product:
                    line.write({"product_uom_qty": qty_by_product[line.product_id], "reason_id": reason.id})
                else:
                    line.unlink()
            ret.write(vals)
            return ret

        def receive(picking, qty=None):
            for move in picking.move_ids:
                if qty is not None:
                    move.quantity = qty
                move.picked = True
            res = picking.with_context(skip_sms=True).button_validate()
            if isinstance(res, dict) and res.get("res_model") == "stock.backorder.confirmation":
                self.env["stock.backorder.confirmation"].with_context(res["context"]).create({}).process()

        unwanted = ref("reverse_logistics.return_reason_not_needed")
        defect = ref("reverse_logistics.return_reason_defective")
        wrong = ref("reverse_logistics.return_reason_wrong_item")
        partners = [ref(x) for x in ("base.res_partner_2", "base.res_partner_3", "base.res_partner_4",
                                     "base.res_partner_12", "base.res_partner_1")]

        sale_1 = sell(partners[0], [(espresso, 10), (beans, 20)])
        sale_2 = sell(partners[1], [(espresso, 6), (grinder, 4)])
        sale_3 = sell(partners[2], [(espresso, 8), (beans, 30)])
        sale_4 = sell(partners[3], [(grinder, 3), (espresso, 4)])

        # Done: received in full and refunded (restocking fee on "no longer needed").
        done = new_return(sale_1, {espresso: 2}, unwanted)
        done.action_submit()
        receive(done.receipt_ids)
        # Receiving: 2 of 3 arrived, a backorder waits for the rest.
        receiving = new_return(sale_3, {espresso: 3}, defect)
        receiving.action_submit()
        receive(receiving.receipt_ids, qty=2)
        # Approved: the receipt waits in the Returns operation.
        approved = new_return(sale_2, {grinder: 1}, defect, resolution="exchange")
        approved.action_submit()
        # Draft waiting for a manager: above the auto-approval limit.
        waiting = new_return(sale_3, {espresso: 5}, unwanted)
        waiting.action_submit()
        # Draft not yet submitted.
        draft = new_return(sale_4, {espresso: 1}, wrong)
        # Rejected.
        rejected = new_return(sale_1, {beans: 5}, unwanted)
        rejected._action_reject("Opened food product: not resellable.")
        # Cancelled.
        cancelled = new_return(sale_2, {espresso: 1}, unwanted)
        cancelled.action_submit()
        cancelled.action_cancel()
        # Received: distributor return without documents, credit note left in draft for the accountant.
        distributor = self.create({
            "partner_id": partners[4].id,
            "return_type": "distributor",
            "policy_id": ref("reverse_logistics.return_policy_distributor").id,
            "warehouse_id": warehouse.id,
            "line_ids": [Command.create({"product_id": espresso.id, "product_uom_qty": 4,
                                         "reason_id": ref("reverse_logistics.return_reason_overstock").id})],
        })
        distributor.action_approve()
        receive(distributor.receipt_ids)
        # Done by exchange: a serial returned and replaced.
        exchange = new_return(sale_4, {grinder: 1}, defect, resolution="exchange")
        exchange.action_submit()
        receive(exchange.receipt_ids)
        # Done by store credit.
        credit = new_return(sale_2, {espresso: 1}, unwanted, resolution="store_credit")
        credit.action_submit()
        receive(credit.receipt_ids)

        # Grading and disposition: the refunded machines, one like new and one for salvage; the
        # exchanged grinder goes to refurbishment (it comes back as the refurbished grinder when its
        # repair is done); the distributor's machines wait for a decision.
        station = self.env["return.grading.station"]
        grade = {code: ref(f"reverse_logistics.grade_{code.lower()}") for code in "ABCD"}
        station.grade(done.line_ids.id, grade["A"].id, 1)
        station.grade(done.line_ids.id, grade["D"].id, 1)
        done.action_dispose()
        grinder_line = exchange.line_ids.filtered(lambda line: line.qty_received)[:1]
        lot = grinder_line._get_ungraded_lots()[0][0]
        station.grade(grinder_line.id, grade["C"].id, 1, lot_id=lot.id)
        exchange.grading_ids.disposition_id = ref("reverse_logistics.disposition_refurbish")
        exchange.action_dispose()
        station.grade(distributor.line_ids.id, grade["B"].id, 3)
        station.grade(distributor.line_ids.id, grade["C"].id, 1)

        # Spread over the last twelve weeks, oldest first, so that reports have a shape and cycle times
        # are hours and days rather than the seconds the flows above took.
        self._demo_spread_dates([
            (done, 82), (credit, 68), (exchange, 55), (cancelled, 47), (rejected, 38), (distributor, 27),
            (receiving, 16), (approved, 9), (waiting, 4), (draft, 1),
        ])
        # What the scheduled action would have done by now: units waiting for grading for weeks are flagged.
        self._cron_grading_sla()
        return True

    @api.model
    def _demo_spread_dates(self, orders_days_ago):
        """Move each return's dates to `days_ago` days before now, each step some hours after the one
        before it; only the dates the flow set are moved."""
        now = fields.Datetime.now()
        for index, (order, days_ago) in enumerate(orders_days_ago):
            order = order.sudo()
            start = now - timedelta(days=days_ago, hours=3 * index)
            at = {"date_request": start}
            at["date_submitted"] = start + timedelta(minutes=30)
            at["date_approved"] = start + timedelta(hours=2 + index % 3)
            at["date_cancel"] = at["date_approved"] + timedelta(days=2)
            at["date_first_receipt"] = at["date_approved"] + timedelta(days=2 + index % 4, hours=5)
            # A return received in several parcels gets its last one a few days after the first.
            received_after = timedelta(days=3) if len(order.receipt_ids) > 1 else timedelta()
            at["date_received"] = at["date_first_receipt"] + received_after
            at["date_resolved"] = (
                at["date_received"] + timedelta(hours=4) if order.date_first_receipt
                else at["date_approved"] + timedelta(hours=1))
            at["date_graded"] = at["date_first_receipt"] + timedelta(hours=20)
            at["date_dispositioned"] = at["date_graded"] + timedelta(hours=30)
            at["date_done"] = max(at["date_resolved"], at["date_received"]) + timedelta(hours=1)
            order.write({field: date for field, date in at.items() if order[field]})
            order.receipt_ids.filtered("date_done").write({"date_done": at["date_first_receipt"]})
            for grading in order.grading_ids:
                grading.write({
                    field: at[field] if field != "date_done" else at["date_dispositioned"]
                    for field in ("date_graded", "date_dispositioned", "date_done") if grading[field]
                })
