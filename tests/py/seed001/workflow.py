"""Seed 001's RepoIndexingWorkflow as the seed describes it: six sequential activities, a retry
policy for most and a no-retry policy for one, per-activity timeouts, cleanup in `finally`.

The one change from the seed: retry intervals are 50 times shorter (10 s -> 200 ms, 30 s -> 600 ms)
so that a test with retries takes a second, not a minute.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from seed001.activities import (
        cleanup_repo_activity,
        cleanup_stale_kg_nodes_activity,
        clone_repo_activity,
        parse_repo_activity,
        persist_kg_activity,
        persist_metadata_activity,
    )

retry_policy = RetryPolicy(
    maximum_attempts=3,
    initial_interval=timedelta(milliseconds=200),
    maximum_interval=timedelta(milliseconds=600),
    backoff_coefficient=2.0,
)
no_retry_policy = RetryPolicy(maximum_attempts=1)

TIMEOUTS = {
    "clone_repo_activity": timedelta(minutes=5),
    "parse_repo_activity": timedelta(minutes=5),
    "persist_metadata_activity": timedelta(minutes=5),
    "persist_kg_activity": timedelta(minutes=10),
    "cleanup_stale_kg_nodes_activity": timedelta(minutes=5),
    "cleanup_repo_activity": timedelta(minutes=2),
}


def workflow_id_for(repo_request: dict) -> str:
    return f"repo-index-{repo_request['repo_id']}-{repo_request['default_branch']}"


@workflow.defn
class RepoIndexingWorkflow:
    @workflow.run
    async def run(self, repo_request: dict) -> dict:
        repo_name = repo_request["github_repo_name"]
        workflow.logger.info(f"Starting repository indexing workflow for {repo_name}")
        clone_result = None
        try:
            clone_result = await workflow.execute_activity(
                clone_repo_activity, repo_request,
                start_to_close_timeout=TIMEOUTS["clone_repo_activity"], retry_policy=retry_policy)
            stats = await workflow.execute_activity(
                parse_repo_activity, clone_result,
                start_to_close_timeout=TIMEOUTS["parse_repo_activity"], retry_policy=retry_policy)
            await workflow.execute_activity(
                persist_metadata_activity,
                {"repo_id": repo_request["repo_id"], "commit_sha": clone_result["commit_sha"], "stats": stats},
                start_to_close_timeout=TIMEOUTS["persist_metadata_activity"], retry_policy=retry_policy)
            await workflow.execute_activity(
                persist_kg_activity, {"repo_id": repo_request["repo_id"], "stats": stats},
                start_to_close_timeout=TIMEOUTS["persist_kg_activity"], retry_policy=retry_policy)
            deleted = await workflow.execute_activity(
                cleanup_stale_kg_nodes_activity, repo_request["repo_id"],
                start_to_close_timeout=TIMEOUTS["cleanup_stale_kg_nodes_activity"], retry_policy=no_retry_policy)
            return {
                "status": "success",
                "repo": repo_name,
                "commit_sha": clone_result["commit_sha"],
                "stats": stats,
                "stale_nodes_deleted": deleted,
            }
        except Exception as e:
            workflow.logger.error(f"Workflow failed: {e}")
            raise
        finally:
            # Always clean up the clone, even on failure.
            if clone_result:
                await workflow.execute_activity(
                    cleanup_repo_activity, clone_result,
                    start_to_close_timeout=TIMEOUTS["cleanup_repo_activity"], retry_policy=retry_policy)
