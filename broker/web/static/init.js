// Starts GOV.UK Frontend's components. The pages work without it; it adds, for example, focus on
// the error summary and the menu toggle on small screens.
import { initAll } from '/assets/govuk-frontend.min.js'

initAll()
