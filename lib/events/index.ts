export { EVENT_TYPE, buildStatusChangedEvent, severityOf, transitionId, type TransitionInput } from './status-changed';
