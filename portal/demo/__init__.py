"""The demo loader (`manage.py load_demo_data`): sets up the demo organization and fills its
mirror the way a real organization's is filled, through the portal's own vendor clients and
pulls, answered by the sandbox in process (`portal.inprocess`).

Demo code like the sandbox: the one package that imports both sides, the apps and the sandbox's
demo world (`portal.sandbox.world`). No production module imports it.

- `accounts`: the organization's vendor accounts, pointed at the sandbox;
- `organization`: the organization, its sites, staff logins, enrolled patients, the device
  catalogue, and a second organization (tenants never see each other);
- `pulls`: every call into the apps' vendor pulls, in one place;
- `visits`: Solo waiting rooms and the visits booked in Solo;
- `care`: the care team's local work (thresholds, triaged alerts, time log);
- `loader`: the order of it all.
"""
