export { EVENT_TYPE, buildStatusChangedEvent, machineFields, severityOf, transitionId, type MachineLabel, type TransitionInput } from './status-changed';
export { AGENT_UNWATCHED, buildAgentUnwatchedEvent, type UnwatchInput } from './agent-unwatched';
export { PORTS_CHANGED, PROCESSES_CHANGED, buildResultsChangedEvent, resultsChangeId, resultsSeverity, type ResultsChangeInput } from './results-changed';
export { SCAN_STATUS_CHANGED, SCAN_SUBJECT, buildScanStatusChangedEvent, scanChangeId, type ScanChangeInput } from './scan-status-changed';
export { EVENT_ID_PATTERN, eventId } from './ids';
export { INCIDENT_CHANGED, buildIncidentChangedEvent, incidentEventId } from './incident-changed';
