"""The API documentation page (/api/docs, swagger-ui from the build) renders in Chromium under its
Content-Security-Policy: no violation is reported and every operation of the document is listed."""

from __future__ import annotations

from playwright.async_api import expect


async def test_docs_page_renders_under_its_policy(new_page, web_server) -> None:
    page = await new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    await page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    response = await page.goto("/api/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    await expect(page.locator(".swagger-ui .info .title")).to_contain_text("SynCode API")
    document = await (await page.request.get("/api/openapi.json")).json()
    operations = sum(len(methods) for methods in document["paths"].values())
    await expect(page.locator(".opblock")).to_have_count(operations)
    await page.locator(".opblock-summary", has_text="/api/health").first.click()  # expands with its own script
    await expect(page.locator(".opblock-body").first).to_be_visible()
    assert violations == [] and page.errors == []
