"""Analytics routes: an operator's daily figures (bookings sold, cancellations, swaps, faults,
reviews) and the platform's, as JSON or CSV; A/B experiments (admins define and read them, apps
ask for their variants and send their events)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from navio.analytics.repository import AnalyticsRepository, ExperimentRepository
from navio.analytics.schemas import (
    AssignmentRequest,
    Assignments,
    EventBatch,
    EventsRecorded,
    ExperimentCreate,
    ExperimentRead,
    ExperimentResults,
    ExperimentStop,
    ExperimentUpdate,
    GoalRead,
    Identified,
    IdentifyRequest,
    Report,
)
from navio.analytics.service import AnalyticsService, ExperimentService, as_csv
from navio.iam import (
    ClientIp,
    CurrentPrincipal,
    MaybePrincipal,
    Permission,
    Principal,
    require_permission,
)
from navio.kernel.http import problem_responses
from navio.kernel.uow import UnitOfWork, UnitOfWorkRoute

router = APIRouter(tags=["analytics"], route_class=UnitOfWorkRoute)


async def analytics_service(request: Request) -> AnalyticsService:
    uow: UnitOfWork = request.state.uow
    return AnalyticsService(AnalyticsRepository(uow.session_source), request.app.state.clock)


Service = Annotated[AnalyticsService, Depends(analytics_service)]
Start = Annotated[date | None, Query(alias="from", description="default: 29 days before `to`")]
End = Annotated[date | None, Query(alias="to", description="default: today (UTC)")]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "day, metric, currency, count, total"}
}


@router.get(
    "/analytics/me",
    response_model=Report,
    responses=problem_responses(401, 422),
    description="Your daily figures as a seller or station operator, a day per entry (UTC), "
    "both ends included, at most 366 days.",
)
async def my_figures(
    principal: CurrentPrincipal, service: Service, start: Start = None, end: End = None
) -> Report:
    return await service.mine(principal, start, end)


@router.get(
    "/analytics/me.csv",
    response_class=Response,
    responses={**problem_responses(401, 422), **CSV},
)
async def my_figures_csv(
    principal: CurrentPrincipal, service: Service, start: Start = None, end: End = None
) -> Response:
    report = await service.mine(principal, start, end)
    name = f"navio-{report.start}-{report.end}.csv"
    return Response(
        as_csv(report),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/admin/analytics",
    response_model=Report,
    responses=problem_responses(401, 403, 422),
    description="The platform's daily figures: every owner's added up (`user:read_any`).",
)
async def platform_figures(
    principal: Annotated[Principal, Depends(require_permission(Permission.USER_READ_ANY))],
    service: Service,
    start: Start = None,
    end: End = None,
) -> Report:
    return await service.platform(start, end)


async def experiment_service(request: Request) -> ExperimentService:
    uow: UnitOfWork = request.state.uow
    return ExperimentService(ExperimentRepository(uow.session_source), request.app.state.clock)


Experiments = Annotated[ExperimentService, Depends(experiment_service)]
Admin = Annotated[Principal, Depends(require_permission(Permission.EXPERIMENT_MANAGE))]
ADMIN_ERRORS = problem_responses(401, 403, 404)


@router.get(
    "/admin/experiments/goals",
    response_model=list[GoalRead],
    responses=problem_responses(401, 403),
    description="The platform's events an experiment can take as its goal (an app's own event "
    "names work too).",
)
async def experiment_goals(principal: Admin) -> list[GoalRead]:
    return ExperimentService.goals()


@router.post(
    "/admin/experiments",
    response_model=ExperimentRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 409, 422),
    description="A new experiment, in draft: the first variant is the control.",
)
async def create_experiment(
    principal: Admin, body: ExperimentCreate, service: Experiments
) -> ExperimentRead:
    return await service.create(principal, body)


@router.get(
    "/admin/experiments",
    response_model=list[ExperimentRead],
    responses=problem_responses(401, 403, 422),
)
async def list_experiments(
    principal: Admin,
    service: Experiments,
    state: Annotated[Literal["draft", "running", "stopped"] | None, Query(alias="status")] = None,
) -> list[ExperimentRead]:
    return await service.listed(state)


@router.get("/admin/experiments/{key}", response_model=ExperimentRead, responses=ADMIN_ERRORS)
async def read_experiment(principal: Admin, key: str, service: Experiments) -> ExperimentRead:
    return await service.read(key)


@router.patch(
    "/admin/experiments/{key}",
    response_model=ExperimentRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    description="Change a draft; a started experiment does not change (409).",
)
async def update_experiment(
    principal: Admin, key: str, body: ExperimentUpdate, service: Experiments
) -> ExperimentRead:
    return await service.update(key, body)


@router.post(
    "/admin/experiments/{key}/start",
    response_model=ExperimentRead,
    responses=problem_responses(401, 403, 404, 409),
)
async def start_experiment(principal: Admin, key: str, service: Experiments) -> ExperimentRead:
    return await service.start(key)


@router.post(
    "/admin/experiments/{key}/stop",
    response_model=ExperimentRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    description="End it: from now on every unit gets the winner (or the control), uncounted; "
    "the results stay as they were at the stop.",
)
async def stop_experiment(
    principal: Admin, key: str, service: Experiments, body: ExperimentStop | None = None
) -> ExperimentRead:
    return await service.stop(key, body or ExperimentStop())


@router.get(
    "/admin/experiments/{key}/results",
    response_model=ExperimentResults,
    responses=ADMIN_ERRORS,
    description="Per variant: exposed units, conversions to the goal, and the difference with "
    "the control with an always-valid interval and p-value (read as often as you like); a "
    "sample-ratio check.",
)
async def experiment_results(principal: Admin, key: str, service: Experiments) -> ExperimentResults:
    return await service.results(key)


async def app_quota(request: Request, ip: ClientIp) -> None:
    """The two routes apps call without an account share a limit per IP."""
    await request.app.state.analytics_quota.take(ip)


@router.post(
    "/analytics/assignments",
    response_model=Assignments,
    responses=problem_responses(422, 429),
    dependencies=[Depends(app_quota)],
    description="Which variant of each live experiment this user (signed in) or install "
    "(`anonymous_id`) sees; the same every time. Asking records the exposure.",
)
async def assignments(
    principal: MaybePrincipal, body: AssignmentRequest, service: Experiments
) -> Assignments:
    return await service.assign(principal, body)


@router.post(
    "/analytics/events",
    response_model=EventsRecorded,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(422, 429),
    dependencies=[Depends(app_quota)],
    description="What the user or install did (up to 100 events, all or none). Each event's "
    "id makes a resend harmless.",
)
async def track_events(
    principal: MaybePrincipal, body: EventBatch, service: Experiments
) -> EventsRecorded:
    return await service.track(principal, body)


@router.post(
    "/analytics/identify",
    response_model=Identified,
    responses=problem_responses(401, 422, 429),
    dependencies=[Depends(app_quota)],
    description="The app's install signed in as you: its experiments' variants and its events "
    "become yours (where you saw nothing of an experiment yet; you count once, in the variant "
    "first seen), and its later anonymous calls are yours too.",
)
async def identify(
    principal: CurrentPrincipal, body: IdentifyRequest, service: Experiments
) -> Identified:
    return await service.identify(principal, body)


routers = (router,)
