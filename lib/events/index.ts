export { EVENT_TYPE, buildStatusChangedEvent, severityOf, transitionId, type TransitionInput } from './status-changed';
export { PORTS_CHANGED, PROCESSES_CHANGED, buildResultsChangedEvent, resultsChangeId, resultsSeverity, type ResultsChangeInput } from './results-changed';
