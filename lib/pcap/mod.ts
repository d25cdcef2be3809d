/** Classic libpcap files: read, write, and find the network-layer packet in each frame. */
export * from "./format.ts";
export * from "./reader.ts";
export * from "./writer.ts";
export * from "./link.ts";
export * from "./hex.ts";
