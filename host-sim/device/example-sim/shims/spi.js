// embedded:io/spi on mcsim: the simulated board's SPI bus, the MFRC522 simulator on it.
export { SPI as default } from 'roam-sim-board';
