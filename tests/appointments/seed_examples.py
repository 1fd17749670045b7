"""Example bodies quoted from seed 003 (Teladoc Health Solo External API), comments removed."""

PATIENT = {
    "mrn": "MRN-123",
    "accountNumber": "A-123",
    "name": [
        {
            "use": "usual",
            "family": "Mike Shinoda",
            "firstName": "Mike",
            "middleName": "",
            "lastName": "Shinoda",
            "alias": "",
        }
    ],
    "birthDate": "1983-08-15",
    "gender": "male",
    "maritalStatus": "married",
    "telecom": [
        {"use": "home", "system": "phone", "value": "+1 (111) 111-1111"},
        {"use": "home", "system": "email", "value": "mike_zzzzzzz@company.com"},
    ],
    "contact": [
        {
            "telecom": [
                {"use": "home", "system": "phone", "value": "phone"},
                {"use": "home", "system": "email", "value": "someemail@email.email"},
            ],
            "name": [],
        }
    ],
    "preferredLanguage": "English",
    "race": "White",
    "ethnicity": "not Hispanic or Latino",
    "address": [
        {
            "city": "New York",
            "use": "home",
            "apartment": "",
            "country": "USA",
            "state": "NY",
            "postalcode": "10019",
            "line": ["123 Main St", ""],
        }
    ],
    "active": True,
    "deceased": True,
    "deceasedAt": "2020-03-31 10:12 AM",
    "familyMember": False,
    "isLinkedByEmail": False,
    "sharedEmailGroup": {"type": "family", "name": "Family Name"},
}

APPOINTMENT = {
    "date": 1499441179,
    "reasons": ["headache"],
    "duration": 900,
    "waitingRoom": "my waiting room",
    "externalId": "2e96ed0e-0f80-4dc3-b2c1-42e65b789e56",
    "episodeOfCareId": "4e96ed0e-0f80-4dc3-b2c1-42e65b789e56",
    "accountNumber": "ABC123456789",
}

APPOINTMENT_UPDATE = {
    "date": 1499441179,
    "duration": 900,
    "status": "cancelled",
    "externalId": "2e96ed0e-0f80-4dc3-b2c1-42e65b789e56",
    "reasons": ["vomit"],
    "accountNumber": "ABC123456789",
}

APPOINTMENT_KEYS = {
    "id", "date", "duration", "reasons", "status", "videoCall", "externalId", "patient",
    "providers",
}  # fmt: skip

VISIT_NOTE_UPDATE = {
    "name": "Acute Neurology - Physician Services",
    "questions": [{"id": "923c5621-66a1-49a3-aa7b-a7753cbfd139", "value": ["Male"]}],
}

DOCUMENT = {
    "name": "document name",
    "dateTime": 1510367140,
    "responses": [{"question": "question 1", "response": "response to question 1"}],
}

EPISODE = {
    "name": "covid care",
    "type": "covid",
    "from": "2023-03-29",
    "to": "2023-04-29",
    "status": "PLANNING",
    "objective": "care covid patient",
    "reasonIncomplete": "unknown",
}

ENCOUNTER_REPORT = {
    "from": "2024-08-15T15:52:01+00:00",
    "to": "2024-08-15T15:52:01+00:00",
    "presetId": "a2c6e3fc-c2f7-4a24-a0d6-eb2343a15469",
    "password": "IK5adv2N5V-gr£9v6",
}

PERFECT_ANSWER = {
    "firstName": "John",
    "lastName": "Doe",
    "dob": "2001-01-20",
    "locationId": "123",
    "mrn": "AA-00000001",
    "physicianCallbackNumber": "+1-202-555-0150",
    "requestingProvider": "Bob Dylan",
    "callCenterNotified": "2019-12-03T14:32:12Z",
    "physicianNotified": "2019-12-03T14:32:12Z",
    "patientLocation": "Patient location",
    "consultType": "new",
    "reason": "EEG Stat",
    "caller": "Caller name",
}

WEBHOOK = {
    "endpoint": "https://webhook.site/...",
    "events": ["appointment:scheduled", "appointment:rescheduled"],
}

ASSISTANCE_BY_BED = {"building": "hospital", "floor": "floor 2", "room": "431", "bed": "bed 2"}
ASSISTANCE_BY_DEPARTMENT = {"department": "emergency department", "room": "431", "bed": "bed 2"}
ASSISTANCE_BY_MRN = {"patientMrn": "1234"}
ASSISTANCE_BY_DEVICE = {"deviceSerialNumber": "123457"}
ASSISTANCE_KEYS = {
    "id", "device", "careLocation", "practice", "patient", "assignedTo", "room", "status",
    "createdAt", "finishedAt", "location", "avSessions", "createdFromExternalApi",
}  # fmt: skip
MISSING_PARAMETERS = (
    "Service Request Error: Missing Required Parameters. Please include either Device ID, "
    "Patient ID, or a combination of Building, Floor, Room, and Bed (opt.), or Department, "
    "Room, and Bed (opt.) to proceed"
)

# Context-aware linking: the document's example string and secret.
LINKING_EXAMPLE = "BizXKL9L4EQ=YuhTK5qXNtOCmbuaHMq5tA==DUPdvDCZPiSUf0Jumt/Mr/wVWv+mr6Vzj5LnKUQtTPc="
LINKING_SECRET = "some secret"
LINKING_PLAIN = '{"visit":"12345","user":"1234"}'
