package io.layerstore.union;

import io.layerstore.platform.NodeStat;
import java.nio.file.Path;

/**
 * One branch's node that takes part in a union node.
 *
 * @param branch index into the branch list, 0 is the topmost (the upper one when writable)
 * @param path the node in that branch's tree
 * @param stat what that branch's tree says about it, taken at lookup time
 */
record Layer(int branch, Path path, NodeStat stat) {}
