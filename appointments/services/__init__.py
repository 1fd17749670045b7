"""Every write about visits: one function per business action, each in the module of its
concern. Import a service from its module (one path per name):

- `common`: the Solo client for an organization, the refusals (`VisitRefused`, `VisitConflict`),
  Solo's timestamps;
- `patients`: the patient in Solo, created on first booking (`solo_patient_ensure`);
- `booking`: slots, book, reschedule, cancel, provider link;
- `records`: visit notes, episodes of care, patient documents;
- `attachments`: upload (keeping the portal's copy), Solo's list, open, delete;
- `reports`: CSV dump, encounter reports, virtual-nursing assistance requests (create, current,
  cancel), stat consults (perfect answer), context links;
- `webhooks`: the subscription with Solo and the inbox (receive, then process).

Pulls from Solo into the mirror live in `appointments.sync`.

The rule for every service here: no Solo call inside `transaction.atomic` or under a
`select_for_update` lock. Check (and claim, where a claim is needed), call Solo with nothing
open, then record in one short transaction. Each service says what a crash between the call and
the record leaves, and how it converges."""
