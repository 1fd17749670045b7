import pytest

from appointments.clients import SoloClient
from portal import demo
from portal.sandbox.solo_common import LINKING_SECRET


@pytest.fixture
def solo(sandbox_url):
    """A Solo client talking to the sandbox over real HTTP."""
    return SoloClient(
        f"{sandbox_url}/solo/",
        secrets={"api_key": demo.SOLO_API_KEY, "teams_auth_token": demo.SOLO_TEAMS_TOKEN},
    )


@pytest.fixture
def solo_account(vendor_accounts):
    """`org`'s Solo account (sandbox), with the brand's linking secret."""
    account = vendor_accounts["solo"]
    account.secrets = {**account.secrets, "linking_secret": LINKING_SECRET}
    account.save()
    return account
