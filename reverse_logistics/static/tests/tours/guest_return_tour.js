/** A guest without a portal account finds his order, asks to return one line and gets the slip. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("reverse_logistics_guest_return", {
    steps: () => [
        {
            content: "Give the order reference",
            trigger: "input#reference",
            run: "edit RLGUEST-TOUR",
        },
        {
            content: "and the order's e-mail address",
            trigger: "input#contact",
            run: "edit guest.tour@example.com",
        },
        {
            content: "Find the order",
            trigger: "button:contains(Find my order)",
            run: "click",
        },
        {
            content: "Return one unit of the kettle only",
            trigger: "tr:contains(Guest Tour Kettle) input[name^=qty_]",
            run: "edit 1",
        },
        {
            content: "Say why",
            trigger: "select#reason_id",
            run: "selectByIndex 1",
        },
        {
            content: "Request the return",
            trigger: "button:contains(Request the return)",
            run: "click",
        },
        {
            content: "Approved at once: the slip is there to print",
            trigger: ".o_rl_portal_return a.o_rl_print_slip",
        },
    ],
});
