// Moddable's mqtt on mcsim: a loopback broker the scripted day brings down and up.
export { Client as default } from 'roam-sim-board';
