"""The words and odds of CRM history: pipelines and deals, activities, tasks, cases, campaigns."""

from __future__ import annotations

from core.demo.pools.text import words

RENEWAL_STAGES = (("Up for renewal", 30, False, False), ("Contacted", 50, False, False),
                  ("Quote sent", 75, False, False), ("Renewed", 100, True, False),
                  ("Churned", 0, False, True))
# Per open stage: chance to move on (else the deal is lost) and mean days spent there.
SALES_FLOW = ((0.65, 7), (0.6, 12), (0.65, 14), (0.7, 10))
RENEWAL_FLOW = ((0.9, 10), (0.85, 7), (0.85, 12))
DEAL_TOPICS = words("CRM rollout|Laptop refresh|Support contract|Office equipment|Training programme|"
                    "Data migration|Monitor upgrade|Software licences|Smartphone fleet|New office fit-out")
DEAL_AMOUNTS = {"Sales": (8000.0, 0.9), "Renewals": (2500.0, 0.6)}  # median EUR, lognormal sigma
LOST_REASONS = words("Price too high|Chose a competitor|No budget this year|No decision, went silent|"
                     "Postponed to next year|Missing feature")

# channel -> (weight, share inbound, purposes, outcomes). Phone outcomes 0-1 are calls nobody took.
ACTIVITY_CHANNELS: dict[str, tuple[int, float, tuple[str, ...], tuple[str, ...]]] = {
    "phone": (25, 0.4, words("Follow-up call|Discovery call|Pricing question|Renewal reminder|"
                             "Support callback"),
              words("No answer|Left voicemail|Reached, interested|Call back later|Not interested|"
                    "Meeting booked")),
    "email": (35, 0.5, words("Quote sent|Product information|Invoice question|Meeting confirmation|"
                             "Reply to newsletter"),
              words("Replied|No reply yet|Opened|Forwarded to colleague")),
    "meeting": (8, 0.3, words("Product demo|Quarterly business review|Kick-off meeting|Contract negotiation"),
                words("Next steps agreed|Proposal requested|Needs internal approval|Positive")),
    "chat": (12, 0.85, words("Question about delivery|Login problem|Pricing enquiry|Feature question"),
             words("Answered|Escalated to support|Sent documentation")),
    "sms": (6, 0.2, words("Appointment reminder|Delivery notification|Payment reminder"),
            words("Delivered|Replied|Confirmed")),
    "social": (6, 0.7, words("LinkedIn message|Comment on our post|Direct message"),
               words("Replied|Connected|No reply")),
    "web": (8, 1.0, words("Contact form: request for quote|Contact form: demo request|"
                          "Download: product brochure|Webinar registration"),
            words("Lead created|Assigned to sales|Brochure sent")),
}
NOTES = words("Asked for a discount on volume.|Wants to compare with the current supplier.|"
              "Decision expected after the board meeting.|Very happy with the last delivery.|"
              "Needs the offer in the local language.|Budget approved for next quarter.|"
              "Prefers to be contacted in the morning.|Mentioned a colleague who may be interested.")

TASK_TITLES = words("Call back {name}|Send quote to {name}|Follow up on proposal with {name}|"
                    "Book a demo with {name}|Check renewal for {name}|Chase unpaid invoice: {name}|"
                    "Send brochure to {name}|Prepare meeting with {name}")
TASK_KINDS = (("done", 0.45), ("overdue", 0.15), ("today", 0.08), ("upcoming", 0.27), ("cancelled", 0.05))
PRIORITIES = (("low", 0.2), ("normal", 0.53), ("high", 0.2), ("urgent", 0.07))
SLA_HOURS = {"urgent": 4, "high": 8, "normal": 24, "low": 72}
RESOLUTION_HOURS = {"urgent": 3, "high": 7, "normal": 20, "low": 50}  # median; some breach the SLA
CASE_CHANNELS = (("email", 0.45), ("phone", 0.3), ("chat", 0.15), ("web", 0.1))
CASE_STATUS_BY_AGE = (  # (younger than N days, chances); resolved/closed only once resolved
    (3, (("new", 0.35), ("open", 0.35), ("waiting", 0.15), ("resolved", 0.15))),
    (30, (("open", 0.15), ("waiting", 0.1), ("resolved", 0.35), ("closed", 0.4))),
    (10**6, (("open", 0.02), ("waiting", 0.02), ("resolved", 0.16), ("closed", 0.8))),
)
CASES = (
    ("Cannot log in", "The user gets 'wrong password' after the reset link."),
    ("Invoice amount looks wrong", "The invoice shows the list price, not the agreed discount."),
    ("Delivery delayed", "The order was promised for last week and has not arrived."),
    ("Laptop does not power on", "Bought three weeks ago; no lights when plugged in."),
    ("Request for refund", "The customer returned the item and asks for the money back."),
    ("Calendar sync error", "Meetings created in the CRM do not appear in the calendar."),
    ("Monitor flickering", "The screen flickers when connected through the docking station."),
    ("Licence key not received", "The confirmation email arrived without the licence key."),
    ("How do I export contacts?", "Asks for a step-by-step guide to export to Excel."),
    ("Feature request: dark mode", "Several users asked for a dark theme."),
)

# name, channel, days before today, budget, subject
CAMPAIGNS = (
    ("Spring newsletter", "email", 980, 500.0, "What's new this spring"),
    ("Webinar: analytics for sales teams", "email", 760, 1200.0, "Join our free webinar"),
    ("Renewal reminder calls", "phone", 380, 2500.0, None),
    ("Black Friday offers", "email", 200, 3000.0, "Our best prices of the year"),
    ("Summer SMS promotion", "sms", 90, 900.0, None),
    ("New product launch", "email", 2, 1500.0, "Meet the new Laptop Pro 14"),
)
RESPONSES = ("pending", "sent", "bounced", "opened", "clicked", "replied", "interested",
             "not_interested", "unsubscribed")
RESPONSE_ODDS = {  # channel -> chances in RESPONSES order
    "email": (0, 0.50, 0.03, 0.24, 0.12, 0.03, 0.04, 0.03, 0.01),
    "phone": (0, 0.35, 0, 0, 0, 0.15, 0.20, 0.30, 0),
    "sms": (0, 0.70, 0.05, 0, 0.17, 0.05, 0, 0, 0.03),
}
