// A `#[metrics]` struct declared inside a function body, unused label values and all.
use promstruct::prelude::*;

fn main() {
    #[metrics]
    #[labels(Phase { Start, Stop })]
    struct Local {
        /// Events, by phase.
        #[counter(labels(phase: Phase))]
        events: Counter,
    }

    let m = Local::new();
    m.events(Phase::Stop).inc();
    assert_eq!(m.events(Phase::Stop).get(), 1);
    assert_eq!(Local::FAMILIES[0].name(), "events");
}
