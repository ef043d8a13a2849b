from __future__ import annotations

from navio.kernel.errors import Conflict, InvalidInput, NotFound


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    title = "The period cannot be reported"


class ExperimentNotFound(NotFound):
    code = "experiment_not_found"
    title = "No such experiment"


class DuplicateExperiment(Conflict):
    code = "duplicate_experiment"
    title = "An experiment has this key already"


class InvalidExperiment(InvalidInput):
    code = "invalid_experiment"
    title = "The experiment cannot be saved as sent"


class ExperimentStateConflict(Conflict):
    code = "experiment_state_conflict"
    title = "The experiment is not in a state that allows this"


class InvalidEvent(InvalidInput):
    code = "invalid_event"
    title = "The events cannot be recorded as sent"


class UnitRequired(InvalidInput):
    code = "unit_required"
    title = "Sign in or send an anonymous_id"
