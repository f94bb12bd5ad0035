from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import ReverseLogisticsCommon


@tagged("post_install", "-at_install")
class TestDispositionBatch(ReverseLogisticsCommon):
    """A disposition above the in-request limit flags the graded units; one cron dispositions them in chunks."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.clerk = new_test_user(
            cls.env, login="rl_batch_clerk", company_id=cls.company.id, company_ids=cls.company.ids,
            groups="stock.group_stock_user,reverse_logistics.group_return_user")
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("reverse_logistics.batch_limit.disposition", 3)
        params.set_param("reverse_logistics.batch_limit.disposition_chunk", 2)
        cls.grade_a = cls.env.ref("reverse_logistics.grade_a")
        cls.restock = cls.env.ref("reverse_logistics.disposition_restock")
        cls.grading_model = cls.env["return.grading"]

    def _graded_units(self, qty):
        """A received return of `qty` units graded one by one at the station (one grading per unit)."""
        self._stock_in(self.product, qty)
        sale, _delivery, _invoice = self._sell([(self.product, qty, 100.0, 0.0)])
        ret = self._new_return(sale, qty=qty)
        ret.action_submit()
        self._receive(ret.receipt_ids)
        station = self.env["return.grading.station"].with_user(self.clerk)
        for _unit in range(qty):
            station.grade(ret.line_ids.id, self.grade_a.id, 1)
        return ret, ret.grading_ids

    def _set_triage(self, qty):
        """Someone counts triage at `qty` (an inventory adjustment), e.g. units taken away by mistake."""
        self.env["stock.quant"].with_context(inventory_mode=True).create({
            "product_id": self.product.id, "location_id": self.triage_location.id, "inventory_quantity": qty,
        }).action_apply_inventory()

    def _run_cron(self):
        """One call of the disposition cron as Odoo's cron worker makes it (with its progress record, as the
        cron's user); returns (done, remaining) as the cron reported them to _notify_progress."""
        cron = self.env.ref("reverse_logistics.ir_cron_return_grading_dispose")
        cron, progress = cron.with_user(cron.user_id)._add_progress()
        cron.ir_actions_server_id.run()
        return progress.done, progress.remaining

    def _queued(self):
        return self.grading_model.search([("disposition_queued", "=", True)])

    def test_disposition_above_limit_runs_in_chunks_exactly_once(self):
        units = 7
        ret, gradings = self._graded_units(units)
        self.assertEqual(len(gradings), units)
        stock_before = self._quant_qty(self.product, self.stock_location)

        action = gradings.with_user(self.clerk).action_dispose()
        # The clerk gets the hand back at once: nothing moved yet, the units say they wait.
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(self._queued(), gradings)
        self.assertEqual(gradings.disposition_queued_uid, self.clerk)
        self.assertEqual(set(gradings.mapped("state")), {"graded"})
        self.assertEqual(self._quant_qty(self.product, self.triage_location), units)
        # Queued twice is refused: the units wait already.
        with self.assertRaisesRegex(UserError, "already wait"):
            gradings.with_user(self.clerk).action_dispose()

        self.assertEqual(self._run_cron(), (2, 5))
        self.assertEqual(len(gradings.filtered(lambda g: g.state == "done")), 2)
        self.assertEqual(len(self._queued()), 5)

        # The next chunk fails: triage holds one unit fewer than the five still to move... and fewer
        # than the chunk's two. It rolls back alone; nothing of it moved, the units say why.
        self._set_triage(1)
        self.assertEqual(self._run_cron(), (2, 3))
        failed = gradings.filtered("disposition_error")
        self.assertEqual(len(failed), 2)
        self.assertIn("triage does not hold", failed[0].disposition_error)
        self.assertFalse(failed.filtered("disposition_queued"), "unflagged: the cron does not loop on them")
        self.assertIn("triage does not hold", ret.message_ids[0].body, "told on the return")
        self.assertEqual(len(gradings.filtered(lambda g: g.state == "done")), 2)
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 1)

        # Units found again: the remaining chunks go on, the refused ones are queued again by the clerk.
        self._set_triage(5)
        self.assertEqual(self._run_cron(), (2, 1))
        self.assertEqual(self._run_cron(), (1, 0))
        failed.with_user(self.clerk).action_dispose()
        self.assertFalse(failed.filtered("disposition_error"), "the error goes with the new request")

        self.assertEqual(set(failed.mapped("state")), {"done"}, "two units: in the request")
        self.assertFalse(self._queued())

        # Every unit moved exactly once: one done move of one unit per grading, triage empty, stock + 7.
        self.assertEqual(set(gradings.mapped("state")), {"done"})
        for grading in gradings:
            moves = grading.move_ids.filtered(lambda m: m.state == "done")
            self.assertEqual(len(moves), 1, grading.name)
            self.assertEqual(moves.quantity, 1.0)
            # Moved as the clerk who asked, not as the superuser.
            self.assertEqual(moves.create_uid, self.clerk, grading.name)
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 0)
        self.assertEqual(self._quant_qty(self.product, self.stock_location), stock_before + units)
        self.assertEqual(ret.disposition_status, "processed")
        # Recovery ledger as in one request: 7 x 100 x 95% (grade A), restock at 100%.
        self.assertAlmostEqual(sum(gradings.mapped("recovery_value")), 7 * 100.0 * 0.95)

    def test_queued_units_moved_by_hand_or_crashed_are_not_moved_twice(self):
        _ret, gradings = self._graded_units(4)
        gradings.with_user(self.clerk).action_dispose()
        # A crash after a chunk's work, before Odoo committed the call: the flags roll back with the moves.
        with self.assertRaises(ZeroDivisionError), self.env.cr.savepoint():
            self._run_cron()
            raise ZeroDivisionError
        self.assertEqual(self._queued(), gradings)
        self.assertEqual(set(gradings.mapped("state")), {"graded"})
        # Two of them are dispositioned in the request meanwhile (the private path, as the system would):
        # the cron only unflags them.
        gradings[:2].sudo()._action_dispose()
        self.assertEqual(self._run_cron(), (2, 2))
        self.assertEqual(self._run_cron(), (2, 0))
        self.assertEqual(self._run_cron(), (0, 0))
        for grading in gradings:
            self.assertEqual(len(grading.move_ids.filtered(lambda m: m.state == "done")), 1, grading.name)
        self.assertFalse(self._queued())

    def test_queued_disposition_checks_the_user_again(self):
        """The cron runs as the user who queued, with his rights of now: a clerk who lost the Returns
        group meanwhile gets a refusal, nothing moves."""
        _ret, gradings = self._graded_units(4)
        gradings.with_user(self.clerk).action_dispose()
        self.clerk.groups_id = [Command.unlink(self.env.ref("reverse_logistics.group_return_user").id)]
        self.assertEqual(self._run_cron(), (2, 2))
        self.assertEqual(self._run_cron(), (2, 0))
        self.assertEqual(set(gradings.mapped("state")), {"graded"})
        self.assertFalse(self._queued())
        self.assertTrue(all(g.disposition_error for g in gradings))
        self.assertEqual(self._quant_qty(self.product, self.triage_location), 4)

    def test_small_disposition_stays_in_the_request(self):
        _ret, gradings = self._graded_units(3)
        self.assertIs(gradings.with_user(self.clerk).action_dispose(), True)
        self.assertEqual(set(gradings.mapped("state")), {"done"})
        self.assertFalse(self._queued())

    def test_bad_batch_is_refused_before_queueing(self):
        _ret, gradings = self._graded_units(5)
        self._set_triage(2)
        with self.assertRaisesRegex(UserError, "triage does not hold"):
            gradings.with_user(self.clerk).action_dispose()
        self.assertFalse(self._queued())

    def test_stale_quant_reservation_does_not_refuse_units_there(self):
        """Under concurrent load Odoo's quants may keep a reserved quantity that no move line holds
        (seen with 4 clients in bench/load.py): the units are there, the disposition goes through."""
        _ret, gradings = self._graded_units(2)
        quant = self.env["stock.quant"].search([("product_id", "=", self.product.id),
                                                ("location_id", "=", self.triage_location.id)])
        quant.sudo().reserved_quantity = 2  # no move line from triage holds anything
        self.assertFalse(self.env["stock.move.line"].search([("location_id", "=", self.triage_location.id),
                                                             ("state", "not in", ("done", "cancel"))]))
        stock_before = self._quant_qty(self.product, self.stock_location)
        gradings.with_user(self.clerk).action_dispose()
        self.assertEqual(set(gradings.mapped("state")), {"done"})
        triage = self.env["stock.quant"].search([("product_id", "=", self.product.id),
                                                 ("location_id", "=", self.triage_location.id)])
        self.assertEqual((sum(triage.mapped("quantity")), sum(triage.mapped("reserved_quantity"))), (0, 0),
                         "moved out, and the stale reservation released")
        self.assertFalse(triage.filtered(lambda q: q.quantity < 0), "no negative quant left behind")
        self.assertEqual(self._quant_qty(self.product, self.stock_location), stock_before + 2)

    def test_stale_reservation_does_not_block_return_to_vendor(self):
        """Return to vendor reserves its transfer with Odoo's own reservation: the stale reservation is
        released first, so the vendor transfer is ready and holds the units."""
        vendor = self.env["res.partner"].create({"name": "Kettle Works"})
        self.product.seller_ids = [Command.create({"partner_id": vendor.id, "price": 55.0})]
        _ret, gradings = self._graded_units(2)
        gradings.disposition_id = self.env.ref("reverse_logistics.disposition_return_to_vendor")
        quant = self.env["stock.quant"].search([("product_id", "=", self.product.id),
                                                ("location_id", "=", self.triage_location.id)])
        quant.sudo().reserved_quantity = 2
        gradings.with_user(self.clerk).action_dispose()
        picking = gradings.move_ids.picking_id
        self.assertEqual((picking.partner_id, picking.state), (vendor, "assigned"))
        self.assertEqual(sum(picking.move_ids.mapped("quantity")), 2)
        self.assertEqual(quant.reserved_quantity, 2, "now held by the vendor transfer's move lines")
        self.assertEqual(set(gradings.mapped("state")), {"dispositioned"})

    def test_units_held_by_an_open_transfer_are_not_free(self):
        """Units of triage another open transfer holds (reserved by its move lines) are not free."""
        _ret, gradings = self._graded_units(2)
        elsewhere = self.env["stock.picking"].create({
            "picking_type_id": self.warehouse.int_type_id.id, "location_id": self.triage_location.id,
            "location_dest_id": self.stock_location.id,
            "move_ids": [Command.create({
                "name": "held", "product_id": self.product.id, "product_uom_qty": 1,
                "product_uom": self.product.uom_id.id, "location_id": self.triage_location.id,
                "location_dest_id": self.stock_location.id,
            })],
        })
        elsewhere.action_confirm()
        elsewhere.action_assign()
        self.assertEqual(elsewhere.move_ids.quantity, 1)
        with self.assertRaisesRegex(UserError, "1.0 available"):
            gradings.with_user(self.clerk).action_dispose()
        self.assertEqual(set(gradings.mapped("state")), {"graded"}, "nothing moved")
