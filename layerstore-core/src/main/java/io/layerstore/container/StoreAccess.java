package io.layerstore.container;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.LayerStore;
import io.layerstore.spi.GraphDriver;
import io.layerstore.store.AtomicFiles;
import io.layerstore.store.TransactionRunner;
import io.layerstore.store.ImageDb;
import io.layerstore.store.LayerDb;
import io.layerstore.store.LayerStaging;
import io.layerstore.store.Publisher;
import io.layerstore.store.ReferenceStore;
import io.layerstore.store.StoreLayout;
import io.layerstore.store.StoreLocks;

/**
 * The parts of a store the container area works with. {@link LayerStore} makes one for its {@link
 * Containers}; users get containers through {@link LayerStore#containers()}.
 */
public record StoreAccess(
    LayerStore store,
    StoreLayout layout,
    LayerDb layerDb,
    ImageDb imageDb,
    ReferenceStore refs,
    StoreLocks locks,
    LayerStaging staging,
    AtomicFiles files,
    GraphDriver driver,
    ObjectMapper json,
    TransactionRunner transactions,
    Publisher publisher) {}
