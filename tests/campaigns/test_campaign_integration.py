# ruff: noqa: F811 (pytest fixtures are imported by name, then requested as arguments)
"""A 500-number campaign on each path runs to completion in a real `manage.py qcluster`
against the sandboxes, with the right counts (issue #5, "Integration").

The cluster is a separate process on the PostgreSQL test database; the sandboxes are
served by the live server in this process, and the vendor accounts point at it. The
campaign is started as the page starts it (Campaign.start(): the launch job goes to the
broker, a worker builds the targets and dials, or creates the CPaaS campaign and the
watchdog syncs it), then the targets and attempts are compared with the calls the
sandbox placed. See tests/campaigns/campaign_runs.py for the audience.
"""

from django_q.models import Task

from campaigns.models import Campaign
from tests.campaigns.campaign_runs import (  # noqa: F401 (fixtures are used by name)
    assert_engine_counts_match_sandbox,
    assert_native_counts_match_sandbox,
    calls_by_number,
    cluster,
    cluster_env,
    describe,
    fast_sandbox,
    make_account,
    make_audience,
    make_campaign,
    sandbox_url,
    wait_until_finished,
)
from tests.qcluster import (  # noqa: F401 (fixtures are used by name)
    CLUSTER_MARKS,
    enqueue_for_real,
    restore_migrated_rows,
    start_cluster,
)

pytestmark = CLUSTER_MARKS


def assert_ran_in_the_cluster(campaign, cluster):
    launches = Task.objects.filter(func="campaigns.tasks.launch_campaign")
    assert [(task.args, task.success) for task in launches] == [((campaign.pk,), True)]
    runners = Task.objects.filter(func="campaigns.tasks.run_campaign")
    assert runners.exists(), "no runner job ran in the cluster"
    assert {task.args for task in runners} == {(campaign.pk,)}
    cluster.log.flush()
    assert "launch_campaign" in open(cluster.log.name, errors="replace").read()  # noqa: SIM115


def run_to_completion(vendor, sandbox_url, cluster, **campaign_settings):
    fast_sandbox(vendor)
    account = make_account(vendor, sandbox_url)
    audience = make_audience(vendor)
    campaign = make_campaign(vendor, account, audience, **campaign_settings)

    started, message = campaign.start()
    assert started, message
    seconds = wait_until_finished(campaign, cluster)
    assert campaign.state == Campaign.State.COMPLETED, describe(campaign)
    print(f"\n{vendor}: completed in {seconds:.1f} s: {describe(campaign)}")  # -s shows it
    return campaign, audience


def test_a_myoperator_ivr_campaign_of_500_numbers_completes_with_the_sandbox_counts(
    sandbox_url, cluster
):
    campaign, audience = run_to_completion("myoperator", sandbox_url, cluster)

    funnel = assert_engine_counts_match_sandbox(campaign, audience)
    assert funnel["total"] == 500
    assert funnel["dnd"] == 15 and funnel["invalid"] == 0
    # The sandbox's outcome table makes some numbers busy: retries really happened.
    assert campaign.attempts.filter(attempt=2).exists()
    # The jobs ran in the cluster (this process runs async_task synchronously unless
    # told otherwise: a campaign that finished here would prove nothing).
    assert_ran_in_the_cluster(campaign, cluster)


def test_an_oca_ivr_campaign_with_variables_completes_with_the_sandbox_counts(sandbox_url, cluster):
    campaign, audience = run_to_completion("oca", sandbox_url, cluster)

    funnel = assert_engine_counts_match_sandbox(campaign, audience)
    assert funnel["total"] == 500
    assert funnel["dnd"] == 15 and funnel["invalid"] == 5
    assert campaign.attempts.filter(attempt=2).exists()
    # Each call carried the IVR's required variables, filled from the contact.
    targets = {target.number: target for target in campaign.targets.all()}
    for number, calls in calls_by_number(campaign).items():
        values = targets[number].values()
        for call in calls:
            assert call.params["variable"] == {
                "name": values["name"],
                "nomor_inet": values["nomor_inet"],
            }


def test_a_cpaas_native_tts_campaign_completes_with_the_vendor_counts(sandbox_url, cluster):
    campaign, audience = run_to_completion(
        "cpaas", sandbox_url, cluster, retry_statuses=["busy", "no_answer"]
    )

    funnel = assert_native_counts_match_sandbox(campaign, audience)
    assert funnel["total"] == 500
    assert funnel["dnd"] == 15 and funnel["invalid"] == 5
    # The vendor read each contact's own announcement.
    targets = {target.number: target for target in campaign.targets.all()}
    for number, calls in calls_by_number(campaign).items():
        for call in calls:
            assert call.params["announcement"] == campaign.render_for(targets[number].values())
