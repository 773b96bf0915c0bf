package store

// ObsoleteOpenTasksSQL is CloseEpisode's statement for its tasks, for the
// plan test.
const ObsoleteOpenTasksSQL = obsoleteOpenTasksSQL
