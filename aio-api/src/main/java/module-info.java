/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
/**
 * Fibril's public surface: channels, the batch API, errno exceptions and the backend SPI.
 * No dependencies.
 */
module dev.fibril.api {
    exports dev.fibril.aio;
    exports dev.fibril.aio.spi;
}
