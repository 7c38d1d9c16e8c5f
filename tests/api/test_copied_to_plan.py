"""The workbench's 抄送我的 (api/visibility `copied_to`) reads the watchers' indexes, never every
process: as a correlated EXISTS, SQLite scanned the whole `processes` table for it — 90 ms of the
workbench's 100 ms with 43,000 processes (benchmarks/pages.py). SQLite's own plan says which."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select, text

from api.visibility import copied_to, visible_processes
from api.visibility.viewer import Viewer
from db.migrate import upgrade
from db.models import Process
from db.session import make_engine
from domain.models import Actor
from domain.roles import Role


async def test_the_copied_count_starts_from_the_watchers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = make_engine(url)
    viewer = Viewer(Actor(username="marketing_reviewer", roles=[Role.marketing_reviewer], unit="MKT"))
    query = visible_processes(viewer, select(func.count()).select_from(Process)).where(copied_to(viewer))
    statement = str(query.compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
    try:
        async with engine.connect() as connection:
            plan = [row[-1] for row in await connection.execute(text(f"EXPLAIN QUERY PLAN {statement}"))]
    finally:
        await engine.dispose()
    assert not [step for step in plan if step.startswith("SCAN processes")], plan
    assert any("process_watchers" in step and "username" in step for step in plan), plan
