// Moddable's flash on mcsim (which has none): the simulated board's partitions.
export { Flash as default } from 'roam-sim-board';
