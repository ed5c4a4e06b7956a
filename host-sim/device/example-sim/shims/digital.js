// embedded:io/digital on mcsim: the simulated board's (host-sim/moddable-fakes).
export { Digital as default } from 'roam-sim-board';
