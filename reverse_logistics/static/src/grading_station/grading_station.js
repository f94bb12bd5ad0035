/** Grading station: scan a return, lot or product; one key picks the grade, Enter confirms. */
import { Component, onMounted, onWillStart, useEffect, useExternalListener, useRef, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useBus, useService } from "@web/core/utils/hooks";
import { _t } from "@web/core/l10n/translation";

export class GradingStation extends Component {
    static template = "reverse_logistics.GradingStation";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.scanInput = useRef("scanInput");
        this.panel = useRef("panel");
        const context = this.props.action?.context || {};
        this.state = useState({
            code: context.default_scan || "",
            scanned: "",
            unit: null,
            grades: [],
            gradeId: null,
            quantity: "",
            passed: {},
            history: [],
            error: "",
        });
        useBus(useService("barcode").bus, "barcode_scanned", (ev) => this.scan(ev.detail.barcode));
        // On window so it runs after the barcode service, which claims scanner input first.
        useExternalListener(window, "keydown", this.onKeydown.bind(this));
        onWillStart(async () => {
            this.state.grades = await this.orm.call("return.grading.station", "get_grades", []);
        });
        // Once a unit shows, leave the scan field so that single keys grade instead of typing.
        useEffect(
            (unit) => {
                if (unit) {
                    this.panel.el?.focus();
                }
            },
            () => [this.state.unit]
        );
        onMounted(() => {
            if (this.state.code) {
                this.scan(this.state.code);
            } else {
                this.scanInput.el?.focus();
            }
        });
    }

    get selectedGrade() {
        return this.state.grades.find((g) => g.id === this.state.gradeId);
    }

    async scan(code) {
        code = (code || "").trim();
        if (!code) {
            return;
        }
        this.state.code = code;
        const unit = await this.orm.call("return.grading.station", "scan", [code]);
        this.showUnit(unit, code);
    }

    showUnit(unit, code) {
        if (unit.error) {
            this.state.unit = null;
            this.state.error = unit.error;
            this.state.scanned = "";
            this.scanInput.el?.focus();
            this.scanInput.el?.select();
            return;
        }
        this.state.error = "";
        this.state.scanned = code;
        this.state.unit = unit;
        this.state.gradeId = unit.suggested_grade_id || null;
        this.state.quantity = "";
        this.state.passed = Object.fromEntries(unit.questions.map((q) => [q.id, true]));
    }

    onScanKeydown(ev) {
        if (ev.key === "Enter") {
            ev.preventDefault();
            ev.stopPropagation();
            this.scan(ev.target.value);
        }
    }

    onKeydown(ev) {
        const unit = this.state.unit;
        if (!unit || ev.defaultPrevented || ev.ctrlKey || ev.altKey || ev.metaKey) {
            return;
        }
        if (ev.target === this.scanInput.el) {
            return;
        }
        const key = ev.key.toLowerCase();
        const grade = this.state.grades.find((g) => g.hotkey === key);
        if (grade) {
            this.state.gradeId = grade.id;
        } else if (/^[0-9.]$/.test(key) && unit.tracking !== "serial") {
            this.state.quantity += key;
        } else if (key === "backspace") {
            this.state.quantity = this.state.quantity.slice(0, -1);
        } else if (key === "enter") {
            this.confirm();
        } else if (key === "escape") {
            this.state.unit = null;
            this.scanInput.el?.focus();
            this.scanInput.el?.select();
        } else {
            return;
        }
        ev.preventDefault();
    }

    get quantity() {
        const typed = parseFloat(this.state.quantity);
        return typed > 0 ? typed : this.state.unit.qty_default;
    }

    async confirm() {
        const unit = this.state.unit;
        if (!unit || !this.state.gradeId) {
            this.notification.add(_t("Pick a grade first."), { type: "warning" });
            return;
        }
        const passed = Object.keys(this.state.passed).filter((id) => this.state.passed[id]).map(Number);
        const grade = this.selectedGrade;
        const quantity = this.quantity;
        this.state.unit = null;
        let result;
        try {
            result = await this.orm.call("return.grading.station", "grade", [
                unit.line_id, grade.id, quantity, unit.lot_id, this.state.scanned, passed,
            ], { product_id: unit.product_id });
        } catch (error) {
            this.state.unit = unit;
            throw error;
        }
        if (result.error) {
            this.state.error = result.error;
            return;
        }
        this.state.history.unshift({ id: result.grading_id, label: result.graded, grade: grade.code });
        if (result.next) {
            this.showUnit(result.next, this.state.scanned);
        } else {
            this.state.error = "";
            this.state.code = "";
            this.notification.add(_t("Everything scanned is graded."), { type: "success" });
            this.scanInput.el?.focus();
        }
    }

    toggleQuestion(questionId) {
        this.state.passed[questionId] = !this.state.passed[questionId];
    }
}

registry.category("actions").add("reverse_logistics.grading_station", GradingStation);
