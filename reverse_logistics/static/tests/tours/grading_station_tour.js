/** Grading station in a browser: scan a product barcode, grade two serials by key, Enter between. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("reverse_logistics_grading_station", {
    steps: () => [
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
            content: "B is selected",
            trigger: ".o_rl_grade.btn-primary[data-grade=B]",
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
    ],
});
