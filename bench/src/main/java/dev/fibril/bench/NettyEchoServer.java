/*
 * Copyright The Fibril Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package dev.fibril.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

import java.net.InetSocketAddress;

/**
 * The event-loop baseline of the echo comparison: Netty 4.2 on its native epoll or io_uring
 * transport, one event loop per core, writing back what it reads and flushing once per read
 * batch (the idiomatic Netty echo handler).
 */
final class NettyEchoServer {
    private NettyEchoServer() {
    }

    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the client reset the connection: this one is done
        }
    }

    static void serve(String transport, InetSocketAddress bind) throws Exception {
        IoHandlerFactory handlers;
        Class<? extends ServerChannel> channel;
        switch (transport) {
            case "epoll" -> {
                handlers = EpollIoHandler.newFactory();
                channel = EpollServerSocketChannel.class;
            }
            case "io_uring" -> {
                handlers = IoUringIoHandler.newFactory();
                channel = IoUringServerSocketChannel.class;
            }
            default -> throw new IllegalArgumentException("unknown Netty transport " + transport);
        }
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), handlers);
        try {
            Echo echo = new Echo();
            Channel server = new ServerBootstrap()
                    .group(group)
                    .channel(channel)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(echo)
                    .bind(bind).sync().channel();
            EchoServers.announce(((InetSocketAddress) server.localAddress()).getPort());
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        }
    }
}
