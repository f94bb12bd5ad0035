/** A returns manager's path: the Returns dashboard, a figure's records, a return, its credit note. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("reverse_logistics_returns_dashboard", {
    steps: () => [
        {
            content: "The Returns dashboard is open and its figures are loaded",
            trigger: ".o_spreadsheet_dashboard_action .o-dashboard-clickable-cell",
        },
        {
            // The clickable area over cell B6, the number of returns (the sheet's rows are 23 px high).
            content: "The Returns figure opens the return lines behind it",
            trigger: ".o-dashboard-clickable-cell[style*='top:119px'][style*='left:230px']",
            run: "click",
        },
        {
            content: "A line of the tour's customer opens its return",
            trigger: ".o_list_view .o_data_row:contains(Tour Dashboard Customer) td.o_data_cell[name=name]",
            run: "click",
        },
        {
            content: "The return form, with its credit note",
            trigger: ".o_form_view button[name=action_view_credit_notes]",
            run: "click",
        },
        {
            content: "The credit note of the return",
            trigger: ".o_form_view .o_field_widget[name=partner_id]:contains(Tour Dashboard Customer)",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=move_type]:contains(Credit Note), .o_form_view:contains(Credit Note)",
        },
    ],
});
