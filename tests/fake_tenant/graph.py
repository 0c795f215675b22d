"""The fake Microsoft Graph: authorisation, OData query options, paging and the computed paths."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from .errors import Response, graph_error
from .identity import BOTH, GRAPH, TokenCheck, audience_kind
from .model import Scenario
from .odata import ODataError, SkipTokens, compile_filter, select_fields
from .permissions import is_allowed

GRAPH_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
)

_VERSION = re.compile(r"^/(v1\.0|beta)(/.*)?$", re.IGNORECASE)
_TRANSITIVE_MEMBERS = re.compile(r"^/(v1\.0|beta)/groups/([^/]+)/transitiveMembers$", re.IGNORECASE)
_DOMAIN_RECORDS = re.compile(r"^/(v1\.0|beta)/domains/([^/]+)/serviceConfigurationRecords$", re.IGNORECASE)
#: Collections Graph lists only when $filter names one of these properties: PIM for Groups answers 400 without
#: a groupId or principalId filter (https://learn.microsoft.com/graph/api/privilegedaccessgroup-list-eligibilityscheduleinstances).
_REQUIRED_FILTERS: dict[re.Pattern[str], tuple[str, ...]] = {
    re.compile(
        r"^/(v1\.0|beta)/identityGovernance/privilegedAccess/group/(eligibility|assignment)Schedule(Instance)?s$",
        re.IGNORECASE,
    ): ("groupId", "principalId"),
}

#: Properties /users returns when the request has no $select (https://learn.microsoft.com/graph/api/user-list).
_USER_DEFAULT_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)

#: Navigation properties the scenario stores inline; Graph returns them only when expanded.
_INLINE_NAVIGATION = {"assignments"}

#: Evolvable enum members Graph hides behind unknownFutureValue unless the client sends
#: `Prefer: include-unknown-enum-members` (https://learn.microsoft.com/graph/best-practices-concept#handling-future-members-in-evolvable-enumerations).
_EVOLVABLE_GRANT_CONTROLS = {"riskRemediation"}

_TYPES = {
    "/v1.0/users": "#microsoft.graph.user",
    "/v1.0/groups": "#microsoft.graph.group",
    "/v1.0/servicePrincipals": "#microsoft.graph.servicePrincipal",
}


def _request_ids(headers: Mapping[str, str]) -> tuple[str, str]:
    return str(uuid.uuid4()), headers.get("client-request-id") or str(uuid.uuid4())


class GraphService:
    """Answers GET /v1.0/... and /beta/... from a scenario, like graph.microsoft.com would."""

    def __init__(self, base_url: Callable[[], str], page_size: int, skiptokens: SkipTokens) -> None:
        self._base_url = base_url
        self.page_size = page_size
        self._skiptokens = skiptokens

    # ---------------------------------------------------------------- entry point
    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        scenario: Scenario | None,
        token: TokenCheck | None,
    ) -> Response:
        """Authorise and answer one Graph request."""
        request_id, client_request_id = _request_ids(headers)

        def error(status: int, code: str, message: str) -> Response:
            return graph_error(status, code, message, request_id=request_id, client_request_id=client_request_id)

        refusal = self._authenticate(token, scenario, error)
        if refusal is not None:
            return refusal
        assert scenario is not None and token is not None and token.claims is not None
        if method != "GET":
            return error(
                405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed for this fake resource."
            )
        if not is_allowed(token.claims.get("roles", []), path):
            return error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        configured = _configured_error(scenario, path)
        if configured is not None:
            return error(*configured)
        missing_filter = _missing_required_filter(path, query)
        if missing_filter is not None:
            return error(400, "BadRequest", missing_filter)
        try:
            data = self._resolve(scenario, path)
            if data is None:
                return error(
                    404,
                    "Request_ResourceNotFound",
                    f"Resource '{path}' does not exist or one of its queried reference-property objects "
                    "are not present.",
                )
            prefer = headers.get("Prefer", "")
            if isinstance(data, list):
                body = self._collection(scenario, path, query, data, prefer)
            else:
                body = self._singleton(path, query, data)
        except ODataError as exc:
            return error(400, "BadRequest", str(exc))
        response_headers = {
            "Content-Type": GRAPH_CONTENT_TYPE,
            "OData-Version": "4.0",
            "request-id": request_id,
            "client-request-id": client_request_id,
            "x-ms-ags-diagnostic": '{"ServerInfo":{"DataCenter":"Fake","Slice":"E","Ring":"1","ScaleUnit":"000"}}',
            "Strict-Transport-Security": "max-age=31536000",
        }
        if "include-unknown-enum-members" in prefer.lower():
            response_headers["Preference-Applied"] = "include-unknown-enum-members"
        return 200, response_headers, body

    def _authenticate(
        self, token: TokenCheck | None, scenario: Scenario | None, error: Callable[[int, str, str], Response]
    ) -> Response | None:
        code = "InvalidAuthenticationToken"
        if token is None:
            return error(401, code, "Access token is empty.")
        if token.claims is None:
            messages = {
                "expired": "Access token has expired or is not yet valid.",
                "signature": "Access token validation failure. Invalid signature.",
                "malformed": "Access token validation failure. The token is not a well-formed JWT.",
            }
            return error(401, code, messages.get(token.failure or "", "Access token validation failure."))
        if audience_kind(str(token.claims.get("aud", "")), self._base_url()) not in (GRAPH, BOTH):
            return error(401, code, "Access token validation failure. Invalid audience.")
        if scenario is None:
            return error(401, code, "Access token validation failure. The tenant is unknown.")
        if "roles" not in token.claims:
            # An app-only token without admin consent has no roles claim at all.
            return error(401, code, "Either scp or roles claim need to be present in the token.")
        return None

    # ---------------------------------------------------------------- finding the data
    def _resolve(self, scenario: Scenario, path: str) -> Any:
        data = _lookup_path(scenario.graph, path)
        if data is not None:
            return data
        match = _TRANSITIVE_MEMBERS.match(path)
        if match:
            return self._transitive_members(scenario, match.group(2))
        match = _DOMAIN_RECORDS.match(path)
        if match:
            return _service_configuration_records(scenario, match.group(1), match.group(2))
        parent, _, object_id = path.rpartition("/")
        collection = _lookup_path(scenario.graph, parent)
        if isinstance(collection, list):
            for item in collection:
                if isinstance(item, dict) and str(item.get("id", "")).lower() == object_id.lower():
                    return item
        return None

    def _transitive_members(self, scenario: Scenario, group_id: str) -> list[dict[str, Any]] | None:
        objects = directory_objects(scenario)
        if group_id not in objects and group_id not in scenario.memberships:
            return None
        seen: set[str] = set()
        members: list[dict[str, Any]] = []
        pending = list(scenario.memberships.get(group_id, []))
        while pending:
            member_id = pending.pop(0)
            if member_id in seen or member_id == group_id:
                continue
            seen.add(member_id)
            if member_id in objects:
                members.append(objects[member_id])
            pending.extend(scenario.memberships.get(member_id, []))
        return members

    # ---------------------------------------------------------------- shaping the answer
    def _context(self, path: str, select: list[str], suffix: str = "") -> str:
        match = _VERSION.match(path)
        version, rest = (match.group(1), (match.group(2) or "").lstrip("/")) if match else ("v1.0", path)
        projection = f"({','.join(select)})" if select else ""
        return f"{self._base_url()}/{version}/$metadata#{rest}{projection}{suffix}"

    def _singleton(self, path: str, query: Mapping[str, str], data: dict[str, Any]) -> dict[str, Any]:
        select = _names(query.get("$select"))
        item = select_fields(data, select) if select else dict(data)
        item = _user_defaults(path, item, select)
        return {
            "@odata.context": self._context(path, select, "/$entity"),
            **{k: v for k, v in item.items() if k != "@odata.context"},
        }

    def _collection(
        self, scenario: Scenario, path: str, query: Mapping[str, str], data: list[Any], prefer: str
    ) -> dict[str, Any]:
        top = _top(query.get("$top"))
        items = data
        if query.get("$filter"):
            predicate = compile_filter(query["$filter"])
            items = [item for item in items if predicate(item)]
        offset = self._skiptokens.decode(path, query["$skiptoken"]) if query.get("$skiptoken") else 0
        size = min(self.page_size, top) if top else self.page_size
        page = items[offset : offset + size]
        expand = _names(query.get("$expand"))
        select = _names(query.get("$select"))
        principals = directory_objects(scenario) if "principal" in expand else {}
        shaped = [self._shape(path, item, expand, select, prefer, principals) for item in page]
        body: dict[str, Any] = {"@odata.context": self._context(path, select), "value": shaped}
        if offset + size < len(items):
            body["@odata.nextLink"] = self._next_link(path, query, offset + size)
        return body

    @staticmethod
    def _shape(
        path: str,
        item: Any,
        expand: list[str],
        select: list[str],
        prefer: str,
        principals: Mapping[str, dict[str, Any]],
    ) -> Any:
        if not isinstance(item, dict):
            return item
        shaped = dict(item)
        for name in expand:
            if name == "principal" and "principalId" in shaped:
                shaped["principal"] = principals.get(str(shaped["principalId"]))
            elif name in _INLINE_NAVIGATION:
                shaped.setdefault(name, [])
            else:
                raise ODataError(
                    f"Parsing OData Select and Expand failed: Could not find a property named '{name}' on the type "
                    f"of '{path}'."
                )
        for name in _INLINE_NAVIGATION - set(expand):
            shaped.pop(name, None)
        if select:
            shaped = select_fields(shaped, [*select, *expand])
        shaped = _user_defaults(path, shaped, select)
        if "/identity/conditionalaccess/" in path.lower() and "include-unknown-enum-members" not in prefer.lower():
            shaped = _hide_evolvable_members(shaped)
        return shaped

    def _next_link(self, path: str, query: Mapping[str, str], offset: int) -> str:
        pairs = [(key, value) for key, value in query.items() if key != "$skiptoken"]
        pairs.append(("$skiptoken", self._skiptokens.encode(path, offset)))
        encoded = "&".join(f"{quote(key, safe='$')}={quote(value, safe=_QUERY_SAFE)}" for key, value in pairs)
        return f"{self._base_url()}{path}?{encoded}"


_QUERY_SAFE = "$,()':/@="


def _lookup_path(graph: Mapping[str, Any], path: str) -> Any:
    if path in graph:
        return graph[path]
    lowered = path.lower()
    for key, value in graph.items():
        if key.lower() == lowered:
            return value
    return None


def _missing_required_filter(path: str, query: Mapping[str, str]) -> str | None:
    """The error message when `path` needs a $filter on one of its key properties and the query has none."""
    for pattern, properties in _REQUIRED_FILTERS.items():
        if pattern.match(path):
            text = query.get("$filter", "")
            if not any(re.search(rf"\b{name}\s+eq\s", text, re.IGNORECASE) for name in properties):
                return f"The request requires a $filter on {' or '.join(properties)}."
    return None


def _configured_error(scenario: Scenario, path: str) -> tuple[int, str, str] | None:
    failure = _lookup_path(scenario.errors, path)
    if failure is None:
        return None
    status, code, message = failure
    return int(status), str(code), str(message)


def directory_objects(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Users, groups and service principals of the scenario by id, each with its @odata.type."""
    objects: dict[str, dict[str, Any]] = {}
    for path, odata_type in _TYPES.items():
        collection = _lookup_path(scenario.graph, path)
        for item in collection if isinstance(collection, list) else []:
            if isinstance(item, dict) and "id" in item:
                objects[str(item["id"])] = {"@odata.type": odata_type, **item}
    return objects


def _service_configuration_records(scenario: Scenario, version: str, domain_id: str) -> list[dict[str, Any]] | None:
    domains = _lookup_path(scenario.graph, f"/{version}/domains") or []
    domain = next((d for d in domains if str(d.get("id", "")).lower() == domain_id.lower()), None)
    if domain is None:
        return None
    name = str(domain["id"])
    if "Email" not in domain.get("supportedServices", []):
        return []
    host = name.replace(".", "-")
    return [
        {
            "@odata.type": "#microsoft.graph.domainDnsMxRecord",
            "id": f"{host}-mx",
            "isOptional": False,
            "label": name,
            "recordType": "Mx",
            "supportedService": "Email",
            "ttl": 3600,
            "mailExchange": f"{host}.mail.protection.outlook.com",
            "preference": 0,
        },
        {
            "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
            "id": f"{host}-spf",
            "isOptional": False,
            "label": name,
            "recordType": "Txt",
            "supportedService": "Email",
            "ttl": 3600,
            "text": "v=spf1 include:spf.protection.outlook.com -all",
        },
        {
            "@odata.type": "#microsoft.graph.domainDnsCnameRecord",
            "id": f"{host}-autodiscover",
            "isOptional": False,
            "label": f"autodiscover.{name}",
            "recordType": "CName",
            "supportedService": "Email",
            "ttl": 3600,
            "canonicalName": "autodiscover.outlook.com",
        },
    ]


def _names(value: str | None) -> list[str]:
    if not value:
        return []
    # Nested options such as principal($select=id) only name the property here.
    return [part.split("(", 1)[0].strip() for part in _split_top_level(value) if part.strip()]


def _split_top_level(value: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in value:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current += char
    parts.append(current)
    return parts


def _top(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        top = int(value)
    except ValueError:
        raise ODataError(f"Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive.") from None
    if not 1 <= top <= 999:
        raise ODataError(f"Invalid page size specified: '{value}'. Must be between 1 and 999 inclusive.")
    return top


def _user_defaults(path: str, item: dict[str, Any], select: list[str]) -> dict[str, Any]:
    if select or not re.match(r"^/(v1\.0|beta)/users(/[^/]+)?$", path, re.IGNORECASE):
        return item
    return {k: v for k, v in item.items() if k in _USER_DEFAULT_PROPERTIES or k.startswith("@odata.")}


def _hide_evolvable_members(policy: dict[str, Any]) -> dict[str, Any]:
    grant = policy.get("grantControls")
    if not isinstance(grant, dict) or not grant.get("builtInControls"):
        return policy
    controls = ["unknownFutureValue" if c in _EVOLVABLE_GRANT_CONTROLS else c for c in grant["builtInControls"]]
    return {**policy, "grantControls": {**grant, "builtInControls": controls}}
