"""Screenshots of the web workbench for the README (issue 23): the workbench, a task, the auditor's
case page and the dashboard, in Chinese and in English, as PNG files under docs/screenshots/.

    make run    # in another terminal: the demo stack
    .venv/bin/python -m scripts.screenshots [--app http://127.0.0.1:8000] [--out docs/screenshots]

Files two onboardings through the HTTP API (scripts/demo_onboarding.py's application) and takes the
first to the business VP's step, then signs in as each person in Debian's Chromium (the PyPI
playwright package pointed at /usr/bin/chromium — never `playwright install`) at 1280×800. Chinese
glyphs need a CJK font on the machine: `apt-get install -y fonts-noto-cjk`. Each user's language is
switched back to Chinese at the end."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any

import httpx

from scripts.demo_onboarding import demo_application, login

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def file_onboarding(client: httpx.Client) -> str:
    headers = login(client, "sales_clerk") | {"Idempotency-Key": str(uuid.uuid4())}
    started = client.post("/api/v1/onboarding", json=demo_application(), headers=headers)
    started.raise_for_status()
    process_id: str = started.json()["process_id"]
    return process_id


def approve(client: httpx.Client, username: str, process_id: str, comment: str) -> None:
    headers = login(client, username)
    task = open_task(client, username, process_id)
    decision = {"outcome": "approve", "comment": comment}
    client.post(f"/api/v1/tasks/{task}/decision", json=decision, headers=headers).raise_for_status()


def open_task(client: httpx.Client, username: str, process_id: str) -> str:
    tasks = client.get("/api/v1/tasks", params={"process_id": process_id}, headers=login(client, username)).json()
    task_id: str = tasks["items"][0]["task_id"]
    return task_id


def prepare(app: str) -> dict[str, tuple[str, str]]:
    """The cases to show; each screenshot's name → (who, which page)."""
    with httpx.Client(base_url=app, timeout=60) as client:
        shown = file_onboarding(client)
        file_onboarding(client)  # a second one, waiting at marketing review: the dashboard has more to draw
        approve(client, "marketing_reviewer", shown, "资料齐全，证照均在有效期内")
        approve(client, "finance_reviewer", shown, "开户许可证与税务登记核对无误")
        task = open_task(client, "business_vp", shown)
    return {
        "workbench": ("business_vp", "/"),
        "task": ("business_vp", f"/tasks/{task}"),
        "case": ("auditor", f"/audit/processes/{shown}"),
        "dashboard": ("marketing_manager", "/dashboard"),
    }


def sign_in(page: Any, app: str, username: str) -> None:
    page.goto(f"{app}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.click("button[type=submit]")
    page.wait_for_url(f"{app}/")


def take(app: str, out: Path, shots: dict[str, tuple[str, str]]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    taken: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for name, (username, address) in shots.items():
                page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                sign_in(page, app, username)
                for language in ("zh", "en"):
                    page.goto(f"{app}{address}")
                    page.wait_for_load_state("networkidle")
                    path = out / f"{name}-{language}.png"
                    page.screenshot(path=str(path))
                    taken.append(path)
                    page.click("#switch-language")  # to English, then back to Chinese
                    page.wait_for_load_state("networkidle")
                page.close()
        finally:
            browser.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in take(args.app, args.out, prepare(args.app)):
        print(path)


if __name__ == "__main__":
    main()
