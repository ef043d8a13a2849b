from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class StationNotFound(NotFound):
    code = "station_not_found"
    title = "Station not found"


class InvalidStation(InvalidInput):
    code = "invalid_station"
    title = "The station cannot be saved as asked"


class StationClosed(Conflict):
    code = "station_closed"
    title = "The station is closed"


class BatteryNotFound(NotFound):
    code = "battery_not_found"
    title = "Battery not found"


class BatteryExists(Conflict):
    code = "battery_exists"
    title = "A battery with this serial is registered already"


class BatteryUnavailable(Conflict):
    code = "battery_unavailable"
    title = "The battery cannot be used for that now"


class TicketNotFound(NotFound):
    code = "queue_ticket_not_found"
    title = "Queue ticket not found"


class AlreadyQueued(Conflict):
    code = "already_queued"
    title = "You are in a queue already"


class TicketStateConflict(Conflict):
    code = "queue_ticket_state_conflict"
    title = "The queue ticket cannot do that in its state"


class InvalidQueueCode(InvalidInput):
    code = "invalid_queue_code"
    title = "Not a queue code of this station"


class InvalidSwap(InvalidInput):
    code = "invalid_swap"
    title = "The swap cannot be made as asked"


class FaultNotFound(NotFound):
    code = "fault_not_found"
    title = "Fault not found"


class FaultStateConflict(Conflict):
    code = "fault_state_conflict"
    title = "The fault cannot move to that state"


class PlanNotFound(NotFound):
    code = "swap_plan_not_found"
    title = "Swap plan not found"


class InvalidPlan(InvalidInput):
    code = "invalid_swap_plan"
    title = "The swap plan cannot be saved as asked"


class PlanRetired(Conflict):
    code = "swap_plan_retired"
    title = "The swap plan is no longer sold"
