/** Grading station in a browser: before any scan, the queue of what waits (the tour's return overdue);
 * scan a product barcode, grade two serials by key, Enter between; the second unit starts without a
 * grade; the graded return leaves the queue and today's count shows it. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("reverse_logistics_grading_station", {
    steps: () => [
        {
            content: "Nothing scanned yet: the queue shows the kettle return, overdue for its SLA",
            trigger: ".o_rl_queue_row.table-danger:contains(Tour Kettle) .o_rl_overdue",
        },
        {
            content: "and how long it waits",
            trigger: ".o_rl_queue_row:contains(Tour Kettle) .o_rl_queue_age:contains(3 days)",
        },
        {
            content: "Scan the product barcode",
            trigger: "input.o_rl_scan",
            run: "edit RLTOUR-KETTLE && press Enter",
        },
        {
            content: "The first unit comes up",
            trigger: ".o_rl_unit_lot:contains(TOUR-SN-1)",
        },
        {
            content: "Grade B with one key",
            trigger: ".o_rl_unit_panel",
            run: "press b",
        },
        {
            content: "B is selected, its key letter still shows",
            trigger: ".o_rl_grade.btn-primary[data-grade=B] kbd.o_rl_hotkey:contains(B)",
        },
        {
            content: "Enter confirms and brings the next unit",
            trigger: ".o_rl_unit_panel",
            run: "press Enter",
        },
        {
            content: "The second unit comes up",
            trigger: ".o_rl_unit_lot:contains(TOUR-SN-2)",
        },
        {
            trigger: ".o_rl_history li:contains((B))",
        },
        {
            content: "No grade is picked in advance for the new unit: Enter alone grades nothing",
            trigger: ".o_rl_unit_panel:not(:has(.o_rl_grade.btn-primary)) .o_rl_confirm:disabled",
        },
        {
            content: "Grade C",
            trigger: ".o_rl_unit_panel",
            run: "press c",
        },
        {
            trigger: ".o_rl_grade.btn-primary[data-grade=C]",
        },
        {
            trigger: ".o_rl_unit_panel",
            run: "press Enter",
        },
        {
            content: "Both units are graded",
            trigger: ".o_rl_history li:contains((C))",
        },
        {
            trigger: ".o_rl_station_message, .o_notification:contains(Everything scanned is graded)",
        },
        {
            content: "The queue is back, without the graded return; today's count has both gradings",
            trigger: ".o_rl_queue:not(:has(.o_rl_queue_row:contains(Tour Kettle))) .o_rl_graded_today:contains(by you: 2)",
        },
    ],
});
