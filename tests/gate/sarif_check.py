"""A structural checker for SARIF 2.1.0 logs, written from the specification's requirements (no network,
no schema download): required properties and their types, allowed enumeration values, and reference
integrity (ruleIndex names the rule with that id, uriBaseIds are defined, related-location ids are unique)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

LEVELS = {"none", "note", "warning", "error"}
KINDS = {"notApplicable", "pass", "fail", "review", "open", "informational"}
SUPPRESSION_KINDS = {"inSource", "external"}
SUPPRESSION_STATUSES = {"accepted", "underReview", "rejected"}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def obj(self, value: Any, where: str) -> bool:
        if not isinstance(value, dict):
            self.fail(where, f"must be an object, not {type(value).__name__}")
            return False
        return True

    def array(self, value: Any, where: str) -> bool:
        if not isinstance(value, list):
            self.fail(where, f"must be an array, not {type(value).__name__}")
            return False
        return True

    def string(self, value: Any, where: str, *, empty: bool = True) -> bool:
        if not isinstance(value, str) or (not empty and not value):
            self.fail(where, "must be a non-empty string" if not empty else "must be a string")
            return False
        return True

    def integer(self, value: Any, where: str, minimum: int) -> bool:
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            self.fail(where, f"must be an integer >= {minimum}")
            return False
        return True

    def uri(self, value: Any, where: str) -> None:
        if self.string(value, where) and (" " in value or urlsplit(value).scheme not in ("", "file", "http", "https")):
            self.fail(where, f"{value!r} is not a URI reference")

    def message(self, value: Any, where: str) -> None:
        if self.obj(value, where) and "text" not in value and "id" not in value:
            self.fail(where, "a message needs text or id")
        elif isinstance(value, dict) and "text" in value:
            self.string(value["text"], f"{where}.text")

    def multiformat(self, value: Any, where: str) -> None:
        if self.obj(value, where):
            self.string(value.get("text"), f"{where}.text")

    def properties(self, value: Any, where: str) -> None:
        if not self.obj(value, where):
            return
        tags = value.get("tags")
        if tags is not None and self.array(tags, f"{where}.tags") and (
                not all(isinstance(t, str) for t in tags) or len(set(tags)) != len(tags)):
            self.fail(f"{where}.tags", "must hold unique strings")

    def run(self, run: Any, where: str) -> None:
        if not self.obj(run, where):
            return
        tool = run.get("tool")
        rules: list[Any] = []
        if self.obj(tool, f"{where}.tool") and self.obj(tool.get("driver"), f"{where}.tool.driver"):
            driver = tool["driver"]
            self.string(driver.get("name"), f"{where}.tool.driver.name", empty=False)
            for key in ("version", "semanticVersion", "informationUri"):
                if key in driver:
                    self.string(driver[key], f"{where}.tool.driver.{key}")
            rules = driver.get("rules", [])
            if self.array(rules, f"{where}.tool.driver.rules"):
                self.rules(rules, f"{where}.tool.driver.rules")
        bases = run.get("originalUriBaseIds", {})
        if self.obj(bases, f"{where}.originalUriBaseIds"):
            for name, location in bases.items():
                self.artifact(location, f"{where}.originalUriBaseIds.{name}", {}, base=True)
        for index, invocation in enumerate(run.get("invocations", [])):
            if self.obj(invocation, f"{where}.invocations[{index}]") and not isinstance(
                    invocation.get("executionSuccessful"), bool):
                self.fail(f"{where}.invocations[{index}]", "executionSuccessful (boolean) is required")
        if "properties" in run:
            self.properties(run["properties"], f"{where}.properties")
        results = run.get("results")
        if results is not None and self.array(results, f"{where}.results"):
            for index, result in enumerate(results):
                self.result(result, f"{where}.results[{index}]", rules, bases if isinstance(bases, dict) else {})

    def rules(self, rules: list[Any], where: str) -> None:
        seen: set[str] = set()
        for index, rule in enumerate(rules):
            at = f"{where}[{index}]"
            if not self.obj(rule, at):
                continue
            if self.string(rule.get("id"), f"{at}.id", empty=False):
                if rule["id"] in seen:
                    self.fail(f"{at}.id", f"{rule['id']!r} is used by two rules")
                seen.add(rule["id"])
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    self.multiformat(rule[key], f"{at}.{key}")
            config = rule.get("defaultConfiguration")
            if config is not None and self.obj(config, f"{at}.defaultConfiguration"):
                if "level" in config and config["level"] not in LEVELS:
                    self.fail(f"{at}.defaultConfiguration.level", f"{config['level']!r} is not a level")
                if "enabled" in config and not isinstance(config["enabled"], bool):
                    self.fail(f"{at}.defaultConfiguration.enabled", "must be a boolean")
            if "properties" in rule:
                self.properties(rule["properties"], f"{at}.properties")

    def artifact(self, value: Any, where: str, bases: dict[str, Any], *, base: bool = False) -> None:
        if not self.obj(value, where):
            return
        if "uri" in value:
            self.uri(value["uri"], f"{where}.uri")
            if base and isinstance(value["uri"], str) and not value["uri"].endswith("/"):
                self.fail(f"{where}.uri", "a base URI must end with a slash")
        if "uriBaseId" in value and self.string(value["uriBaseId"], f"{where}.uriBaseId") \
                and value["uriBaseId"] not in bases:
            self.fail(f"{where}.uriBaseId", f"{value['uriBaseId']!r} is not defined in originalUriBaseIds")

    def location(self, value: Any, where: str, bases: dict[str, Any]) -> None:
        if not self.obj(value, where):
            return
        if "id" in value:
            self.integer(value["id"], f"{where}.id", 0)
        if "message" in value:
            self.message(value["message"], f"{where}.message")
        physical = value.get("physicalLocation")
        if physical is None:
            return
        if not self.obj(physical, f"{where}.physicalLocation"):
            return
        if "artifactLocation" not in physical and "address" not in physical:
            self.fail(f"{where}.physicalLocation", "needs an artifactLocation or an address")
        if "artifactLocation" in physical:
            self.artifact(physical["artifactLocation"], f"{where}.physicalLocation.artifactLocation", bases)
        region = physical.get("region")
        if region is not None and self.obj(region, f"{where}.physicalLocation.region"):
            for key in ("startLine", "startColumn", "endLine", "endColumn"):
                if key in region:
                    self.integer(region[key], f"{where}.physicalLocation.region.{key}", 1)
            if "startColumn" in region and "startLine" not in region:
                self.fail(f"{where}.physicalLocation.region", "startColumn without startLine")

    def result(self, result: Any, where: str, rules: list[Any], bases: dict[str, Any]) -> None:
        if not self.obj(result, where):
            return
        self.message(result.get("message"), f"{where}.message")
        rule_id = result.get("ruleId")
        if rule_id is not None:
            self.string(rule_id, f"{where}.ruleId", empty=False)
        if "ruleIndex" in result and self.integer(result["ruleIndex"], f"{where}.ruleIndex", 0):
            index = result["ruleIndex"]
            if index >= len(rules):
                self.fail(f"{where}.ruleIndex", f"{index} is beyond the {len(rules)} rules")
            elif isinstance(rules[index], dict) and rule_id is not None and rules[index].get("id") != rule_id:
                self.fail(f"{where}.ruleIndex", f"rule {index} is {rules[index].get('id')!r}, not {rule_id!r}")
        if rule_id is None and "ruleIndex" not in result and "rule" not in result:
            self.fail(where, "a result must name its rule (ruleId, ruleIndex or rule)")
        level, kind = result.get("level"), result.get("kind", "fail")
        if level is not None and level not in LEVELS:
            self.fail(f"{where}.level", f"{level!r} is not a level")
        if kind not in KINDS:
            self.fail(f"{where}.kind", f"{kind!r} is not a result kind")
        elif kind != "fail" and level not in (None, "none"):
            self.fail(f"{where}.level", "must be 'none' when kind is not 'fail'")
        if "rank" in result and not (isinstance(result["rank"], int | float) and -1 <= result["rank"] <= 100):
            self.fail(f"{where}.rank", "must be a number from -1 to 100")
        for key in ("locations", "relatedLocations"):
            if key in result and self.array(result[key], f"{where}.{key}"):
                for index, location in enumerate(result[key]):
                    self.location(location, f"{where}.{key}[{index}]", bases)
        related_ids = [loc.get("id") for loc in result.get("relatedLocations", []) if isinstance(loc, dict)]
        if len([i for i in related_ids if i is not None]) != len({i for i in related_ids if i is not None}):
            self.fail(f"{where}.relatedLocations", "ids must be unique")
        prints = result.get("partialFingerprints", {})
        if self.obj(prints, f"{where}.partialFingerprints") and not all(
                isinstance(k, str) and isinstance(v, str) for k, v in prints.items()):
            self.fail(f"{where}.partialFingerprints", "must map strings to strings")
        for index, suppression in enumerate(result.get("suppressions", [])):
            at = f"{where}.suppressions[{index}]"
            if self.obj(suppression, at):
                if suppression.get("kind") not in SUPPRESSION_KINDS:
                    self.fail(f"{at}.kind", "is required: inSource or external")
                if "status" in suppression and suppression["status"] not in SUPPRESSION_STATUSES:
                    self.fail(f"{at}.status", f"{suppression['status']!r} is not a suppression status")
                if "justification" in suppression:
                    self.string(suppression["justification"], f"{at}.justification")
        if "properties" in result:
            self.properties(result["properties"], f"{where}.properties")


def sarif_problems(log: Any) -> list[str]:
    """Every structural problem of a parsed SARIF log; empty when it meets the checked requirements."""
    checker = _Checker()
    if not checker.obj(log, "log"):
        return checker.problems
    if log.get("version") != "2.1.0":
        checker.fail("log.version", "must be '2.1.0'")
    schema = log.get("$schema")
    if schema is not None and (not isinstance(schema, str) or not schema.startswith("https://")):
        checker.fail("log.$schema", "must be an https URI")
    if checker.array(log.get("runs"), "log.runs"):
        for index, run in enumerate(log["runs"]):
            checker.run(run, f"log.runs[{index}]")
    return checker.problems
