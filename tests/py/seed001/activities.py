"""Seed 001's indexing activities (../shared/seeds/001_*.txt), with the work itself replaced by
deterministic fakes; each one records its call and follows the test's fault plan (journal.py)."""

from __future__ import annotations

import hashlib

from temporalio import activity

from journal import step


@activity.defn
async def clone_repo_activity(repo_request: dict) -> dict:
    await step(repo_request["repo_id"])
    sha = hashlib.sha1(f"{repo_request['github_repo_name']}@{repo_request['default_branch']}".encode()).hexdigest()
    return {"repo_id": repo_request["repo_id"], "commit_sha": sha,
            "clone_path": f"/tmp/{repo_request['repo_id']}-{sha}"}


@activity.defn
async def parse_repo_activity(clone_result: dict) -> dict:
    await step(clone_result["repo_id"])
    return {"total_symbols": 1500, "indexed_files": 200, "edges": 4200}


@activity.defn
async def persist_metadata_activity(args: dict) -> None:
    await step(args["repo_id"], args["commit_sha"])


@activity.defn
async def persist_kg_activity(args: dict) -> int:
    await step(args["repo_id"])
    return args["stats"]["total_symbols"]


@activity.defn
async def cleanup_stale_kg_nodes_activity(repo_id: str) -> int:
    await step(repo_id)
    return 50


@activity.defn
async def cleanup_repo_activity(clone_result: dict) -> None:
    await step(clone_result["repo_id"], clone_result["clone_path"])


ALL = [clone_repo_activity, parse_repo_activity, persist_metadata_activity, persist_kg_activity,
       cleanup_stale_kg_nodes_activity, cleanup_repo_activity]
